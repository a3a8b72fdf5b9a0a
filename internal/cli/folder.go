package cli

import (
	"context"

	"github.com/playhead/playhead/internal/backend"
)

// folder is a data folder as the commands use it: its accounts and
// projects. The commands write beside a running server and do not lock it.
type folder struct {
	backend.Accounts
	b *backend.Backend
}

func openFolder(ctx context.Context, dir string) (folder, error) {
	b, err := backend.Open(ctx, dir, backend.Options{})
	if err != nil {
		return folder{}, err
	}
	return folder{Accounts: b.Accounts, b: b}, nil
}

func (f folder) Close() error { return f.b.Close() }
