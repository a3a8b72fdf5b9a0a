package sqlite

import "sync"

// maxChecked bounds the bytes of events JSON kept for the processor.
const maxChecked = 64 << 20

// checkedCache keeps the events of batches just committed as ingest
// checked them (the JSON array, uncompressed), by log position, until the
// processor reads them: it would otherwise read each batch back from the
// log and inflate it a moment after ingest inflated it. The log stays the
// record; a batch missing here (evicted, or logged by another process) is
// read from it.
//
// The events are ingest's own buffers, lent rather than copied: each is
// given back (its release called) when evicted, or, once taken, when the
// reader applies past its position (drop), by which time the reader is
// done with it. A lent buffer may be larger than the events in it (it
// held a larger batch before), so the budget counts capacities.
type checkedCache struct {
	mu      sync.Mutex
	max     int
	bytes   int
	entries map[int64]checkedEvents
	order   []int64 // positions in commit order; some already taken
	lent    []lentEvents
}

type checkedEvents struct {
	events  []byte
	release func() // nil when there is nothing to give back
}

type lentEvents struct {
	id      int64
	release func()
}

func newCheckedCache(max int) *checkedCache {
	return &checkedCache{max: max, entries: map[int64]checkedEvents{}}
}

// put keeps events for position id, dropping the oldest entries to stay
// within the budget. release, if not nil, is called when the events are no
// longer kept nor read.
func (c *checkedCache) put(id int64, events []byte, release func()) {
	if cap(events) > c.max/4 {
		free(release) // a giant would evict everything for one batch
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[id]; ok {
		free(release)
		return
	}
	c.entries[id] = checkedEvents{events, release}
	c.bytes += cap(events)
	c.order = append(c.order, id)
	// Taken positions stay in order until they reach its front: bound
	// them too, so that order cannot grow while bytes stay small.
	for c.bytes > c.max || len(c.order) > 4*len(c.entries)+1024 {
		c.dropFront()
	}
}

// take returns and forgets the events of position id, nil if not kept.
// They stay the reader's until it applies past id.
func (c *checkedCache) take(id int64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok {
		return nil
	}
	delete(c.entries, id)
	c.bytes -= cap(e.events)
	if e.release != nil {
		c.lent = append(c.lent, lentEvents{id, e.release})
	}
	return e.events
}

// drop forgets the positions up to upto: applied, whether read or not.
func (c *checkedCache) drop(upto int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.order) > 0 && c.order[0] <= upto {
		c.dropFront()
	}
	kept := c.lent[:0]
	for _, l := range c.lent {
		if l.id <= upto {
			l.release()
		} else {
			kept = append(kept, l)
		}
	}
	clear(c.lent[len(kept):])
	c.lent = kept
}

// reset forgets everything: an erasure must leave no copy of what it
// erased. What the reader took is left to the collector, not given back:
// it may still be reading it.
func (c *checkedCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		free(e.release)
	}
	clear(c.entries)
	c.order, c.bytes, c.lent = nil, 0, nil
}

func (c *checkedCache) dropFront() {
	id := c.order[0]
	c.order = c.order[1:]
	if e, ok := c.entries[id]; ok {
		delete(c.entries, id)
		c.bytes -= cap(e.events)
		free(e.release)
	}
	if len(c.order) == 0 {
		c.order = nil // let append start a fresh array rather than creep along the old one
	}
}

func free(release func()) {
	if release != nil {
		release()
	}
}
