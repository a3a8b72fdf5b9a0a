package sqlite

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/playhead/playhead/internal/store"
)

func TestProjectSettings(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	p, err := s.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ProjectByID(ctx, p.ID); got.SampleRate != 1 || got.RetentionDays != 0 {
		t.Fatalf("new project settings = %+v, want the defaults", got.ProjectSettings)
	}

	off := false
	p.Name = "shop (live)"
	p.Origins = []string{"https://shop.example"}
	p.ProjectSettings = store.ProjectSettings{
		RetentionDays: 30,
		SampleRate:    0.25,
		Recorder:      store.RecorderSettings{MaskAllText: true, AllowParams: []string{"q"}, Network: &off},
		Quota:         store.Quota{BatchesPerMinute: 600, BytesPerDay: 1 << 30},
	}
	if err := s.UpdateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.ProjectByKey(ctx, p.Key)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("read back %+v,\nwant %+v", got, p)
	}

	key, err := s.RotateProjectKey(ctx, p.ID)
	if err != nil || key == p.Key {
		t.Fatalf("rotate: key %q, err %v", key, err)
	}
	if _, err := s.ProjectByKey(ctx, p.Key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old key after rotation: err %v, want not found", err)
	}

	if err := s.DeleteProject(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ProjectByKey(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("key of a deleted project: err %v, want not found", err)
	}
	if list, _ := s.Projects(ctx); len(list) != 0 {
		t.Fatalf("projects after delete = %v", list)
	}
	if list, _ := s.DeletedProjects(ctx); len(list) != 1 || list[0].Deleted.IsZero() || list[0].Enabled {
		t.Fatalf("deleted projects = %+v", list)
	}
	if err := s.UpdateProject(ctx, p); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a deleted project: err %v, want not found", err)
	}
}

func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	for _, a := range []string{"login", "project.rotate_key", "session.delete"} {
		if err := s.Audit(ctx, store.AuditEntry{Actor: "owner@example.com", Action: a, Project: 1}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.AuditLog(ctx, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].Action != "session.delete" || page[1].Action != "project.rotate_key" {
		t.Fatalf("first page = %+v", page)
	}
	rest, err := s.AuditLog(ctx, page[1].ID, 2)
	if err != nil || len(rest) != 1 || rest[0].Action != "login" || rest[0].At.IsZero() {
		t.Fatalf("second page = %+v, %v", rest, err)
	}
}
