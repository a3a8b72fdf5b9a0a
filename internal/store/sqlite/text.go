package sqlite

import (
	"context"
	"strconv"
	"strings"
)

// Free-text search. A window's row in analysis and in search is numbered
// by its session: n << slotBits | its place among the session's windows
// (store.MaxWindows fits), so that a match names its session without a
// lookup, and a session's text is a range of rows.
const slotBits = "7"

// How a word of a search is matched: FTS5 reads a prefix query ("word"*)
// by merging the whole of every doclist it covers, whatever the query
// asks of it, which costs a common word tens of milliseconds each time it
// is asked. So a word is looked up in the vocabulary instead
// (search_vocab): the terms it begins, and how many windows hold each,
// become an OR of exact terms, which FTS5 reads incrementally; and how
// common the word is picks the plan.
const (
	// maxTerms is how many terms a word may stand for; a shorter prefix
	// is matched as one.
	maxTerms = 24
	// rareWord is how many windows a word may be in to be matched by
	// listing its sessions first.
	rareWord = 5000
	// probeCost is what testing one session for a word costs FTS5, in
	// windows of the word's matches read: measured on a 1,000,000-session
	// index, about 0.2 ms against 0.3 µs.
	probeCost = 700
)

// planned, when set, is the plan of every word: tests run each plan
// against the same words.
var planned *textPlan

// textMatch is one word of a free-text search: an FTS5 query, how many
// windows it is in (about), and how it is best tested.
type textMatch struct {
	term    string // an FTS5 query; "" for no text
	windows int
	plan    textPlan
}

type textPlan int

const (
	// listed: few matches; their sessions are listed first.
	listed textPlan = iota
	// gathered: the sessions of its matches are gathered once, and each
	// session read in the search's order is looked up among them.
	gathered
	// probed: so common that testing the sessions read in order, each by
	// a seek of its range of rows, finds a page before gathering would
	// be done.
	probed
)

// cond is the condition on sessions s that the word makes; its one
// argument is the term.
func (t textMatch) cond() string {
	switch {
	case t.term == "":
		return "1"
	case t.plan == probed:
		return `EXISTS (SELECT 1 FROM search WHERE search MATCH ?
			AND rowid BETWEEN s.n << ` + slotBits + ` AND (s.n << ` + slotBits + `) + ((1 << ` + slotBits + `) - 1))`
	case t.plan == gathered:
		// The unary + keeps the planner from reading the list first
		// and sorting every session in it.
		return `+s.n IN (SELECT rowid >> ` + slotBits + ` FROM search WHERE search MATCH ?)`
	}
	return `s.n IN (SELECT rowid >> ` + slotBits + ` FROM search WHERE search MATCH ?)`
}

func (t textMatch) args() []any {
	if t.term == "" {
		return nil
	}
	return []any{t.term}
}

// textMatch looks a word up: the terms it begins and the windows that
// hold them, and the plan that suits a word in that many windows.
func (s *Store) textMatch(ctx context.Context, word string) (m textMatch, err error) {
	if planned != nil {
		defer func() { m.plan = *planned }()
	}
	m = textMatch{term: `"` + word + `"*`}
	folded, plain := asciiWord(word)
	if plain {
		rows, err := s.iread.QueryContext(ctx, `SELECT term, doc FROM search_vocab
			WHERE term >= ? AND term < ? LIMIT `+strconv.Itoa(maxTerms+1), folded, folded+"\U0010FFFF")
		if err != nil {
			return m, err
		}
		var terms []string
		for rows.Next() {
			var (
				term string
				doc  int
			)
			if err := rows.Scan(&term, &doc); err != nil {
				rows.Close()
				return m, err
			}
			terms = append(terms, `"`+term+`"`)
			m.windows += doc
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return m, err
		}
		switch {
		case len(terms) == 0:
			// In no window: a query that matches nothing, cheaply.
			m.term, m.windows = `"`+folded+`"`, 0
			return m, nil
		case len(terms) <= maxTerms:
			m.term = strings.Join(terms, " OR ")
			m.plan = s.textPlan(ctx, m.windows)
			return m, nil
		}
	}
	// A word the vocabulary cannot answer for (a short prefix of many
	// terms, or one the tokenizer folds): counted, up to what makes it
	// common, by the prefix query.
	err = s.iread.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM search WHERE search MATCH ?
		LIMIT `+strconv.Itoa(rareWord)+`)`, m.term).Scan(&m.windows)
	if m.windows >= rareWord {
		m.plan = gathered
	}
	return m, err
}

// textPlan picks how to test a word in about windows windows.
func (s *Store) textPlan(ctx context.Context, windows int) textPlan {
	if windows < rareWord {
		return listed
	}
	// A page is found after reading about limit × sessions / windows
	// sessions; gathering reads every match once.
	var sessions int
	s.iread.QueryRowContext(ctx, `SELECT coalesce(max(n), 0) FROM sessions`).Scan(&sessions)
	const page = 50
	if page*sessions/windows*probeCost < windows {
		return probed
	}
	return gathered
}

// asciiWord lowers a word of ASCII letters and digits, as FTS5's
// tokenizer does; plain is false for any other word, whose folding the
// tokenizer alone knows.
func asciiWord(w string) (folded string, plain bool) {
	b := []byte(w)
	for i, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		default:
			return "", false
		}
	}
	return string(b), true
}
