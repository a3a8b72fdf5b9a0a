package chunk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// The stored form of a chunk:
//
//	"PHC" 1                  magic and version
//	uvarint                  bytes of the dictionary it was compressed against (0: none)
//	uint32, little endian    their CRC-32C, if any
//	zstd frame               of the payload (below), against that dictionary
//
// The payload lists the events in order, each either kept as its JSON or,
// for a pointer move that re-encodes byte for byte (moves.go), as numbers:
//
//	uvarint n, uvarint m     events, of which moves
//	m × uvarint              each move's place: events since the move before
//	(n-m) × uvarint          each JSON event's length
//	columns of the m moves   (moves.go)
//	the JSON events, one after another
//
// A chunk stored before is a bare zstd frame of the JSON array.
var (
	magic     = []byte("PHC\x01")
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// window is the zstd window: larger than a chunk and its dictionary, so
// that a page's repeated snapshots and the mutations that copy its nodes
// are found however far apart they are.
const window = 16 << 20

// maxPayload bounds what one chunk may decompress to, so that a damaged
// or crafted blob cannot take the server's memory.
const maxPayload = 1 << 30

var (
	// ErrCorrupt means a stored chunk cannot be read.
	ErrCorrupt = errors.New("corrupt chunk")
	// ErrDict means a chunk was given another dictionary than the one it
	// was made with.
	ErrDict = fmt.Errorf("%w: not the dictionary it was made with", ErrCorrupt)
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var (
	// One encoder, reset to each chunk's dictionary: its tables and
	// history are tens of MiB, made once rather than per chunk.
	encMu      sync.Mutex
	encoder    *zstd.Encoder
	decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(maxPayload), zstd.WithDecoderMaxWindow(window))
)

func encoderOptions() []zstd.EOption {
	// Compaction runs off the request path, once per chunk; the best
	// level costs a few tens of ms a chunk and saves a quarter of the
	// bytes over the default.
	return []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedBestCompression),
		zstd.WithWindowSize(window), zstd.WithEncoderConcurrency(1)}
}

func compress(payload, dict []byte) []byte {
	out := append([]byte(nil), magic...)
	out = binary.AppendUvarint(out, uint64(len(dict)))
	dictOpt := zstd.WithEncoderDictDelete()
	if len(dict) > 0 {
		out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(dict, crcTable))
		dictOpt = zstd.WithEncoderDictRaw(0, dict)
	}
	encMu.Lock()
	defer encMu.Unlock()
	var err error
	if encoder == nil {
		encoder, err = zstd.NewWriter(nil, append(encoderOptions(), dictOpt)...)
	} else {
		err = encoder.ResetWithOptions(nil, dictOpt)
	}
	if err != nil {
		panic(fmt.Sprintf("chunk: zstd encoder: %v", err)) // the options are constant
	}
	// The encoder keeps the dictionary (MaxDict at most) till the next
	// chunk: dropping it would make the encoder anew.
	return encoder.EncodeAll(payload, out)
}

// header reads a stored chunk's header: the dictionary's length and
// checksum, and where the zstd frame starts. legacy is a chunk stored
// before, a bare frame.
func header(blob []byte) (dictLen int, sum uint32, frame int, legacy bool, err error) {
	if bytes.HasPrefix(blob, zstdMagic) {
		return 0, 0, 0, true, nil
	}
	if !bytes.HasPrefix(blob, magic) {
		return 0, 0, 0, false, fmt.Errorf("%w: unknown format", ErrCorrupt)
	}
	i := len(magic)
	n, w := binary.Uvarint(blob[i:])
	if w <= 0 || n > MaxDict {
		return 0, 0, 0, false, fmt.Errorf("%w: bad dictionary length", ErrCorrupt)
	}
	i += w
	if n > 0 {
		if len(blob) < i+4 {
			return 0, 0, 0, false, fmt.Errorf("%w: short header", ErrCorrupt)
		}
		sum = binary.LittleEndian.Uint32(blob[i:])
		i += 4
	}
	return int(n), sum, i, false, nil
}

// NeedsDict tells whether reading a stored chunk needs the window's
// dictionary before it: false for a window's first chunk, and for chunks
// stored before dictionaries.
func NeedsDict(blob []byte) bool {
	n, _, _, _, err := header(blob)
	return err == nil && n > 0
}

// Independent tells whether a stored chunk starts a chain of
// dictionaries: it was built without one, so the dictionary after it is
// made of its own full snapshots alone. A chunk stored before
// dictionaries is not: the window's later chunks may chain through it.
func Independent(blob []byte) bool {
	n, _, _, legacy, err := header(blob)
	return err == nil && !legacy && n == 0
}

// Decode returns a chunk's JSON array of events, given the dictionary
// DictAfter made for it (nil if it needs none). It fails with ErrDict if
// dict is not the one the chunk was made with, and with ErrCorrupt if the
// chunk cannot be read.
func Decode(blob, dict []byte) ([]byte, error) {
	return decodeWith(blob, dict, nil)
}

// decode is Decode that also gives the chunk's full snapshots, slices of
// its JSON, for the next chunk's dictionary.
func decode(blob, dict []byte) (raw []byte, snaps [][]byte, err error) {
	raw, err = decodeWith(blob, dict, &snaps)
	return raw, snaps, err
}

// decodeWith is Decode, appending the chunk's full snapshots to snaps if
// it is not nil.
func decodeWith(blob, dict []byte, snaps *[][]byte) ([]byte, error) {
	dictLen, sum, frame, legacy, err := header(blob)
	if err != nil {
		return nil, err
	}
	if legacy {
		out, err := decoder.DecodeAll(blob, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if snaps != nil {
			err = Split(out, func(e Event) error {
				if isSnapshot(e.Raw) {
					*snaps = append(*snaps, e.Raw)
				}
				return nil
			})
		}
		return out, err
	}
	var payload []byte
	if dictLen == 0 {
		payload, err = decoder.DecodeAll(blob[frame:], nil)
	} else {
		if len(dict) != dictLen || crc32.Checksum(dict, crcTable) != sum {
			return nil, ErrDict
		}
		var d *zstd.Decoder
		d, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxPayload),
			zstd.WithDecoderMaxWindow(window), zstd.WithDecoderDictRaw(0, dict))
		if err != nil {
			return nil, fmt.Errorf("chunk: zstd decoder: %w", err)
		}
		payload, err = d.DecodeAll(blob[frame:], nil)
		d.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return decodePayload(payload, snaps)
}

// encodePayload lays events out as the payload (above).
func encodePayload(events []Event) []byte {
	var (
		cols   moveColumns
		places []byte
		lens   []byte
		last   = -1
		text   int
		moved  = make([]bool, len(events))
	)
	for i, e := range events {
		if mv, ok := readMove(e.Raw); ok {
			cols.add(&mv)
			moved[i] = true
			places = binary.AppendUvarint(places, uint64(i-last-1))
			last = i
			continue
		}
		lens = binary.AppendUvarint(lens, uint64(len(e.Raw)))
		text += len(e.Raw)
	}
	out := binary.AppendUvarint(nil, uint64(len(events)))
	out = binary.AppendUvarint(out, uint64(cols.n))
	out = append(out, places...)
	out = append(out, lens...)
	out = cols.append(out)
	out = slices.Grow(out, text)
	for i, e := range events {
		if !moved[i] {
			out = append(out, e.Raw...)
		}
	}
	return out
}

// payloadReader reads the payload's numbers, failing once and for all
// at the first that is not there.
type payloadReader struct {
	b   []byte
	err error
}

func (r *payloadReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: truncated payload", ErrCorrupt)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *payloadReader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// count reads a number of items that each take at least one byte of
// what is left, so that no count makes a larger allocation than the
// payload itself.
func (r *payloadReader) count() int {
	v := r.uvarint()
	if r.err == nil && v > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: count %d past the end", ErrCorrupt, v)
	}
	if r.err != nil {
		return 0
	}
	return int(v)
}

// decodePayload rebuilds the JSON array of events, appending its full
// snapshots to snaps if it is not nil.
func decodePayload(p []byte, snaps *[][]byte) ([]byte, error) {
	r := &payloadReader{b: p}
	n := r.count()
	m := r.count()
	if r.err != nil {
		return nil, r.err
	}
	if m > n {
		return nil, fmt.Errorf("%w: %d moves among %d events", ErrCorrupt, m, n)
	}
	isMove := make([]bool, n)
	at := -1
	for range m {
		gap := r.uvarint()
		if r.err == nil && gap >= uint64(n-at-1) {
			r.err = fmt.Errorf("%w: move past the last event", ErrCorrupt)
		}
		if r.err != nil {
			break
		}
		at += int(gap) + 1
		isMove[at] = true
	}
	lens := make([]int, 0, n-m)
	total := 0
	for range n - m {
		l := r.uvarint()
		if r.err == nil && l > uint64(len(p)) {
			r.err = fmt.Errorf("%w: event longer than the chunk", ErrCorrupt)
		}
		if r.err != nil {
			break
		}
		lens = append(lens, int(l))
		total += int(l)
	}
	var cols moveColumns
	if r.err == nil {
		cols.read(r, m)
	}
	if r.err != nil {
		return nil, r.err
	}
	if total != len(r.b) {
		return nil, fmt.Errorf("%w: %d bytes of events, %d stored", ErrCorrupt, total, len(r.b))
	}
	text := r.b
	out := make([]byte, 0, 2+n+total+cols.positions*48+m*64)
	out = append(out, '[')
	var (
		mv    move
		found [][2]int // where snapshots lie in out, which may yet move
	)
	for i := range n {
		if i > 0 {
			out = append(out, ',')
		}
		if isMove[i] {
			cols.next(&mv)
			out = appendMove(out, &mv)
			continue
		}
		l := lens[0]
		lens = lens[1:]
		if snaps != nil && isSnapshot(text[:l]) {
			found = append(found, [2]int{len(out), len(out) + l})
		}
		out, text = append(out, text[:l]...), text[l:]
	}
	out = append(out, ']')
	for _, f := range found {
		*snaps = append(*snaps, out[f[0]:f[1]])
	}
	return out, nil
}
