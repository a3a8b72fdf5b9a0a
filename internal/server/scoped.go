package server

import (
	"context"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/backend"
	"github.com/playhead/playhead/internal/store"
)

// scopedSessions reads sessions as the request's principal may: a member
// or viewer lists only the projects they belong to, and never reads a
// session of another, whatever handler asks. The routes' access already
// refuses others' projects; this is the second lock, and the one that
// filters the lists of every project.
type scopedSessions struct {
	backend.Index
	log      backend.Log
	accounts backend.Accounts
}

func newScoped(b *backend.Backend) scopedSessions {
	return scopedSessions{Index: b.Index, log: b.Log, accounts: b.Accounts}
}

func (s scopedSessions) Search(ctx context.Context, q store.SessionQuery) (store.SessionResults, error) {
	p := auth.FromContext(ctx)
	if ids, all := p.Projects(); !all {
		q.Filter.Projects = append([]int64{}, ids...)
	}
	q.Viewer = 0 // what this principal watched, and only that
	if p.User != nil {
		q.Viewer = p.User.ID
	}
	return s.Index.Search(ctx, q)
}

func (s scopedSessions) Sessions(ctx context.Context, project int64, limit int) ([]store.Session, error) {
	res, err := s.Search(ctx, store.SessionQuery{Filter: store.SessionFilter{Project: project}, Limit: limit})
	return res.Sessions, err
}

func (s scopedSessions) Session(ctx context.Context, project int64, id string) (store.Session, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return store.Session{}, store.ErrNotFound
	}
	return s.Index.Session(ctx, project, id)
}

func (s scopedSessions) Parts(ctx context.Context, project int64, session, window string, from, to int64) ([]store.Part, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return nil, store.ErrNotFound
	}
	return s.log.Parts(ctx, project, session, window, from, to)
}

// BatchEvents reads a batch that Parts listed, and so scoped.
func (s scopedSessions) BatchEvents(ctx context.Context, id int64) ([]byte, error) {
	return s.log.BatchEvents(ctx, id)
}

// Projects lists every project; the dashboard keeps those the principal
// sees.
func (s scopedSessions) Projects(ctx context.Context) ([]store.Project, error) {
	return s.accounts.Projects(ctx)
}

func (s scopedSessions) Tag(ctx context.Context, project int64, session, tag string) ([]string, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return nil, store.ErrNotFound
	}
	return s.Index.Tag(ctx, project, session, tag)
}

func (s scopedSessions) Untag(ctx context.Context, project int64, session, tag string) ([]string, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return nil, store.ErrNotFound
	}
	return s.Index.Untag(ctx, project, session, tag)
}

func (s scopedSessions) AddNote(ctx context.Context, n store.Note) (store.Note, error) {
	if !auth.FromContext(ctx).Sees(n.Project) {
		return store.Note{}, store.ErrNotFound
	}
	return s.Index.AddNote(ctx, n)
}

func (s scopedSessions) Notes(ctx context.Context, project int64, session string) ([]store.Note, error) {
	if !auth.FromContext(ctx).Sees(project) {
		return nil, store.ErrNotFound
	}
	return s.Index.Notes(ctx, project, session)
}

func (s scopedSessions) DeleteNote(ctx context.Context, project int64, session string, id int64) error {
	if !auth.FromContext(ctx).Sees(project) {
		return store.ErrNotFound
	}
	return s.Index.DeleteNote(ctx, project, session, id)
}
