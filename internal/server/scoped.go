package server

import (
	"context"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// scopedSessions reads sessions as the request's principal may: a member
// or viewer lists only the projects they belong to, and never reads a
// session of another, whatever handler asks. The routes' access already
// refuses others' projects; this is the second lock, and the one that
// filters the lists of every project.
type scopedSessions struct{ *sqlite.Store }

func (s scopedSessions) Search(ctx context.Context, q store.SessionQuery) (store.SessionResults, error) {
	p := auth.FromContext(ctx)
	if ids, all := p.Projects(); !all {
		q.Filter.Projects = append([]int64{}, ids...)
	}
	q.Viewer = 0 // what this principal watched, and only that
	if p.User != nil {
		q.Viewer = p.User.ID
	}
	return s.Store.Search(ctx, q)
}

func (s scopedSessions) Sessions(ctx context.Context, project int64, limit int) ([]store.Session, error) {
	res, err := s.Search(ctx, store.SessionQuery{Filter: store.SessionFilter{Project: project}, Limit: limit})
	return res.Sessions, err
}

func (s scopedSessions) Session(ctx context.Context, project int64, id string) (store.Session, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return store.Session{}, store.ErrNotFound
	}
	return s.Store.Session(ctx, project, id)
}

func (s scopedSessions) Parts(ctx context.Context, project int64, session, window string, from, to int64) ([]store.Part, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return nil, store.ErrNotFound
	}
	return s.Store.Parts(ctx, project, session, window, from, to)
}

func (s scopedSessions) PartEvents(ctx context.Context, project int64, session string, p store.Part) ([]byte, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return nil, store.ErrNotFound
	}
	return s.Store.PartEvents(ctx, project, session, p)
}

func (s scopedSessions) Tag(ctx context.Context, project int64, session, tag string) ([]string, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return nil, store.ErrNotFound
	}
	return s.Store.Tag(ctx, project, session, tag)
}

func (s scopedSessions) Untag(ctx context.Context, project int64, session, tag string) ([]string, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return nil, store.ErrNotFound
	}
	return s.Store.Untag(ctx, project, session, tag)
}

func (s scopedSessions) AddNote(ctx context.Context, n store.Note) (store.Note, error) {
	if !auth.FromContext(ctx).Sees(n.Project) {
		return store.Note{}, store.ErrNotFound
	}
	return s.Store.AddNote(ctx, n)
}

func (s scopedSessions) Notes(ctx context.Context, project int64, session string) ([]store.Note, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return nil, store.ErrNotFound
	}
	return s.Store.Notes(ctx, project, session)
}

func (s scopedSessions) DeleteNote(ctx context.Context, project int64, session string, id int64) error {
	if !auth.FromContext(ctx).Sees(project) {
		return store.ErrNotFound
	}
	return s.Store.DeleteNote(ctx, project, session, id)
}
