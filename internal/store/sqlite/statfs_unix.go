//go:build linux || darwin

package sqlite

import "syscall"

// diskFull tells whether the file system of dir has no room left for an
// unprivileged writer, which is what SQLite is.
func diskFull(dir string) bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return false
	}
	// Less than a few pages' worth counts: a commit needs more.
	return st.Bavail*uint64(st.Bsize) < 64<<10
}
