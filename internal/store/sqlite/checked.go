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
type checkedCache struct {
	mu      sync.Mutex
	max     int
	bytes   int
	entries map[int64][]byte
	order   []int64 // positions in commit order; some already taken
}

func newCheckedCache(max int) *checkedCache {
	return &checkedCache{max: max, entries: map[int64][]byte{}}
}

// put keeps events for position id, dropping the oldest entries to stay
// within the budget.
func (c *checkedCache) put(id int64, events []byte) {
	if len(events) > c.max/4 {
		return // a giant would evict everything for one batch
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[id]; ok {
		return
	}
	c.entries[id] = events
	c.bytes += len(events)
	c.order = append(c.order, id)
	// Taken positions stay in order until they reach its front: bound
	// them too, so that order cannot grow while bytes stay small.
	for c.bytes > c.max || len(c.order) > 4*len(c.entries)+1024 {
		c.dropFront()
	}
}

// take returns and forgets the events of position id, nil if not kept.
func (c *checkedCache) take(id int64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	events, ok := c.entries[id]
	if !ok {
		return nil
	}
	delete(c.entries, id)
	c.bytes -= len(events)
	return events
}

// drop forgets the positions up to upto: applied, whether read or not.
func (c *checkedCache) drop(upto int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.order) > 0 && c.order[0] <= upto {
		c.dropFront()
	}
}

// reset forgets everything: an erasure must leave no copy of what it
// erased.
func (c *checkedCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.order, c.bytes = nil, 0
}

func (c *checkedCache) dropFront() {
	id := c.order[0]
	c.order = c.order[1:]
	if events, ok := c.entries[id]; ok {
		delete(c.entries, id)
		c.bytes -= len(events)
	}
	if len(c.order) == 0 {
		c.order = nil // let append start a fresh array rather than creep along the old one
	}
}
