//go:build race

package sqlite

const searchSessions = 2_000
