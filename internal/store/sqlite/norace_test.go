//go:build !race

package sqlite

const searchSessions = 20_000
