package server

import (
	"context"
	"slices"

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

func (s scopedSessions) Sessions(ctx context.Context, project int64, limit int) ([]store.Session, error) {
	p := auth.FromContext(ctx)
	ids, all := p.Projects()
	if all {
		return s.Store.Sessions(ctx, project, limit)
	}
	if project != 0 {
		if !slices.Contains(ids, project) {
			return nil, store.ErrNotFound
		}
		return s.Store.Sessions(ctx, project, limit)
	}
	// Newest first across the principal's projects.
	var out []store.Session
	for _, id := range ids {
		list, err := s.Store.Sessions(ctx, id, limit)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	slices.SortStableFunc(out, func(a, b store.Session) int { return b.Start.Compare(a.Start) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (s scopedSessions) Session(ctx context.Context, project int64, id string) (store.Session, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return store.Session{}, store.ErrNotFound
	}
	return s.Store.Session(ctx, project, id)
}

func (s scopedSessions) SessionEvents(ctx context.Context, project int64, session, window string) ([]store.WindowEvents, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return nil, store.ErrNotFound
	}
	return s.Store.SessionEvents(ctx, project, session, window)
}
