package chunk

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
)

// Pointer moves (mouse and touch moves, drags: rrweb's incremental
// sources 1, 6 and 12) are a fifth of a chunk's compressed bytes as JSON,
// and half as much as columns of small numbers. A move is kept as columns
// only if writing it back from its numbers gives its JSON byte for byte;
// any other event, or a move written otherwise, stays as it was.

type position struct {
	X          int64 `json:"x"`
	Y          int64 `json:"y"`
	ID         int64 `json:"id"`
	TimeOffset int64 `json:"timeOffset"`
}

type move struct {
	Type int `json:"type"`
	Data struct {
		Source    int64      `json:"source"`
		Positions []position `json:"positions"`
	} `json:"data"`
	Timestamp int64 `json:"timestamp"`
}

var movePrefix = []byte(`{"type":3,"data":{"source":`)

// readMove reads raw as a move that appendMove writes back byte for byte.
func readMove(raw []byte) (move, bool) {
	var mv move
	if !bytes.HasPrefix(raw, movePrefix) || json.Unmarshal(raw, &mv) != nil ||
		mv.Type != typeIncremental || len(mv.Data.Positions) == 0 {
		return move{}, false
	}
	var buf [512]byte
	return mv, bytes.Equal(appendMove(buf[:0], &mv), raw)
}

// appendMove writes a move as encoding/json writes a move.
func appendMove(b []byte, mv *move) []byte {
	b = append(b, `{"type":3,"data":{"source":`...)
	b = strconv.AppendInt(b, mv.Data.Source, 10)
	b = append(b, `,"positions":[`...)
	for i, p := range mv.Data.Positions {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"x":`...)
		b = strconv.AppendInt(b, p.X, 10)
		b = append(b, `,"y":`...)
		b = strconv.AppendInt(b, p.Y, 10)
		b = append(b, `,"id":`...)
		b = strconv.AppendInt(b, p.ID, 10)
		b = append(b, `,"timeOffset":`...)
		b = strconv.AppendInt(b, p.TimeOffset, 10)
		b = append(b, '}')
	}
	b = append(b, `]},"timestamp":`...)
	b = strconv.AppendInt(b, mv.Timestamp, 10)
	return append(b, '}')
}

// moveColumns are a chunk's moves as columns, each number the difference
// from the one before it in its column (wrapping), zigzag varints:
// timestamps, sources, counts of positions, then the positions' x, y, id
// and timeOffset.
type moveColumns struct {
	n, positions    int
	ts, src, cnt    []byte
	x, y, id, off   []byte
	lastTS, lastSrc int64
	lastX, lastY    int64
	lastID, lastOff int64
	decTS, decSrc   []int64
	decCnt          []int
	decPos          []position
}

func appendDelta(b []byte, v int64, last *int64) []byte {
	d := v - *last
	*last = v
	return binary.AppendUvarint(b, uint64(d<<1)^uint64(d>>63))
}

func (c *moveColumns) add(mv *move) {
	c.n++
	c.ts = appendDelta(c.ts, mv.Timestamp, &c.lastTS)
	c.src = appendDelta(c.src, mv.Data.Source, &c.lastSrc)
	c.cnt = binary.AppendUvarint(c.cnt, uint64(len(mv.Data.Positions)))
	for _, p := range mv.Data.Positions {
		c.positions++
		c.x = appendDelta(c.x, p.X, &c.lastX)
		c.y = appendDelta(c.y, p.Y, &c.lastY)
		c.id = appendDelta(c.id, p.ID, &c.lastID)
		c.off = appendDelta(c.off, p.TimeOffset, &c.lastOff)
	}
}

func (c *moveColumns) append(b []byte) []byte {
	for _, col := range [][]byte{c.ts, c.src, c.cnt, c.x, c.y, c.id, c.off} {
		b = append(b, col...)
	}
	return b
}

// read reads the columns of m moves.
func (c *moveColumns) read(r *payloadReader, m int) {
	deltas := func(n int) []int64 {
		out := make([]int64, n)
		var v int64
		for i := range out {
			v += r.varint()
			out[i] = v
		}
		return out
	}
	c.decTS = deltas(m)
	c.decSrc = deltas(m)
	c.decCnt = make([]int, m)
	for i := range c.decCnt {
		n := r.uvarint()
		if r.err == nil && (n == 0 || n > uint64(len(r.b)/4)) {
			r.err = fmt.Errorf("%w: bad count of positions", ErrCorrupt)
		}
		if r.err != nil {
			return
		}
		c.decCnt[i] = int(n)
		c.positions += int(n)
	}
	// Each position takes four bytes at least.
	if c.positions > len(r.b)/4 {
		r.err = fmt.Errorf("%w: %d positions past the end", ErrCorrupt, c.positions)
		return
	}
	c.decPos = make([]position, c.positions)
	for _, set := range []func(p *position, v int64){
		func(p *position, v int64) { p.X = v },
		func(p *position, v int64) { p.Y = v },
		func(p *position, v int64) { p.ID = v },
		func(p *position, v int64) { p.TimeOffset = v },
	} {
		var v int64
		for i := range c.decPos {
			v += r.varint()
			set(&c.decPos[i], v)
		}
	}
}

// next fills mv with the next move read.
func (c *moveColumns) next(mv *move) {
	mv.Type, mv.Timestamp, mv.Data.Source = typeIncremental, c.decTS[0], c.decSrc[0]
	n := c.decCnt[0]
	c.decTS, c.decSrc, c.decCnt = c.decTS[1:], c.decSrc[1:], c.decCnt[1:]
	mv.Data.Positions, c.decPos = c.decPos[:n], c.decPos[n:]
}
