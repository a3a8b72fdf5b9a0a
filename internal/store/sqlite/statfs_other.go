//go:build !(linux || darwin)

package sqlite

// diskFull cannot tell here; an I/O error stays one.
func diskFull(string) bool { return false }
