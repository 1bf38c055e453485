package main

// Reassembles H.264 access units (RFC 6184, packetization-mode 1) from RTP packets as a
// receiver's packet buffer does, and counts what a decoder could show:
//
//   - a frame is the run of packets with one RTP timestamp, ending at the marker bit;
//   - it is complete only when every sequence number from its first packet to its marker
//     arrived (an original or a retransmission), its first packet is known to begin it (the
//     packet before it is the previous frame's last, or the stream's first packet), and its
//     FU-A fragments each run from a start bit to an end bit;
//   - it is decodable when it is complete and is a key frame (IDR), or the frame before it
//     was decodable (the source sends no B-frames: each P frame references the previous one).
//
// A sequence number still missing maxWait after a later packet arrived is lost for good
// (NACK did not recover it): the loss the viewer's player would see.

import "time"

const ringSize = 2048

type packetKind uint8

const (
	kindPadding packetKind = iota
	kindSingle             // one NAL unit, or a STAP-A aggregate
	kindFuStart
	kindFuMiddle
	kindFuEnd
)

type slot struct {
	ext     int64
	present bool
	arrived time.Time
	ts      uint32
	marker  bool
	kind    packetKind
	key     bool // carries (part of) an IDR slice
	width   int  // from an SPS in this packet; 0 if none
}

// FrameCounters are cumulative, so the caller reads a window as the difference of two readings.
type FrameCounters struct {
	Packets      int64 // distinct media packets received (originals and retransmissions)
	Duplicates   int64
	Recovered    int64 // packets that arrived as retransmissions (RTX) of a missing one
	Late         int64 // arrived after their sequence number was given up
	Expected     int64 // sequence numbers passed over by the assembler
	Lost         int64 // of those, never received within maxWait
	Complete     int64
	Decodable    int64
	KeyFrames    int64 // complete key frames
	Incomplete   int64 // frames given up (missing packets, unknown start, broken FU-A)
	BrokenFuA    int64
	DecodableBy  [3]int64 // decodable frames by layer (SPS width 320, 640, 1280)
	Width        int      // width of the last SPS seen
	FirstFrameAt time.Time
}

type Assembler struct {
	ring       [ringSize]slot
	highest    int64 // extended sequence number; -1 before the first packet
	cursor     int64 // next sequence number to assign to a frame
	startKnown bool  // cursor begins a frame
	chainOK    bool  // the last finished frame was decodable
	maxWait    time.Duration
	// keyStart: the first sequence number of the latest complete key frame that opens with an
	// SPS (-1: none yet). What is missing before it is no longer waited for or asked for, as
	// libwebrtc clears its NACK list up to each frame that becomes decodable (ClearUpTo).
	keyStart int64
	C        FrameCounters
	// NeedKeyFrame is set when a frame could not be decoded; the viewer answers it with a PLI.
	NeedKeyFrame bool
}

func NewAssembler(maxWait time.Duration) *Assembler {
	return &Assembler{highest: -1, keyStart: -1, maxWait: maxWait}
}

func (a *Assembler) extend(seq uint16) int64 {
	if a.highest < 0 {
		return int64(seq)
	}
	diff := int64(int16(seq - uint16(a.highest)))
	return a.highest + diff
}

// Push takes one RTP packet of the video stream. rtx says it came as a retransmission.
func (a *Assembler) Push(seq uint16, ts uint32, marker bool, payload []byte, rtx bool, now time.Time) {
	ext := a.extend(seq)
	if a.highest < 0 {
		a.highest = ext
		a.cursor = ext
		a.startKnown = true // a consumer's stream begins at a key frame's first packet
	}
	if ext < a.cursor {
		a.C.Late++
		return
	}
	// Too far ahead for the ring: what has not arrived by now is lost.
	for ext-a.cursor >= ringSize {
		a.giveUpOne()
	}
	s := &a.ring[ext%ringSize]
	if s.present && s.ext == ext {
		a.C.Duplicates++
		return
	}
	kind, key, width := classify(payload)
	*s = slot{ext: ext, present: true, arrived: now, ts: ts, marker: marker, kind: kind, key: key, width: width}
	a.C.Packets++
	if rtx {
		a.C.Recovered++
	}
	if ext > a.highest {
		a.highest = ext
	}
	if marker {
		a.noteKeyFrame(ext, ts)
	}
	a.advance(now)
}

// noteKeyFrame: the frame ending at ext (its marker) is complete back to a packet that opens
// with an SPS: a key frame a decoder takes even after a loss, so keyStart moves there. Checked
// when the marker arrives only: a key frame completed later by a resent packet leaves keyStart
// where it was, so the viewer asks for the gap before it up to the generator's limit (more
// NACKs than libwebrtc, never fewer).
func (a *Assembler) noteKeyFrame(end int64, ts uint32) {
	for e := end; e >= a.cursor && e > a.keyStart && end-e < ringSize; e-- {
		s := a.at(e)
		if s == nil || s.ts != ts {
			return
		}
		if s.width != 0 {
			a.keyStart = e
			return
		}
	}
}

// Cleared: sequence number seq (of this stream) lies before the latest complete key frame,
// so a receiver no longer asks for it. Compared as extended numbers, so a key frame long past
// does not clear what comes after it.
func (a *Assembler) Cleared(seq uint16) bool {
	return a.keyStart >= 0 && a.highest >= 0 && a.extend(seq) < a.keyStart
}

// Flush finishes what waited longer than maxWait (called when counters are read).
func (a *Assembler) Flush(now time.Time) { a.advance(now) }

func (a *Assembler) at(ext int64) *slot {
	s := &a.ring[ext%ringSize]
	if s.present && s.ext == ext {
		return s
	}
	return nil
}

// missingTooLong: ext is missing and a later packet arrived more than maxWait ago.
func (a *Assembler) missingTooLong(ext int64, now time.Time) bool {
	for e := ext + 1; e <= a.highest; e++ {
		if s := a.at(e); s != nil {
			return now.Sub(s.arrived) > a.maxWait
		}
	}
	return false
}

func (a *Assembler) giveUpOne() {
	if a.at(a.cursor) == nil {
		a.C.Lost++
	}
	a.C.Expected++
	a.ring[a.cursor%ringSize].present = false
	a.cursor++
	a.startKnown = false
	a.frameLost()
}

func (a *Assembler) frameLost() {
	a.NeedKeyFrame = true
	a.chainOK = false
}

func (a *Assembler) consume(from, to int64) {
	for e := from; e <= to; e++ {
		a.ring[e%ringSize].present = false
	}
	a.C.Expected += to - from + 1
	a.cursor = to + 1
}

func (a *Assembler) advance(now time.Time) {
	for a.cursor <= a.highest {
		first := a.at(a.cursor)
		if first == nil {
			if a.cursor >= a.keyStart && !a.missingTooLong(a.cursor, now) {
				return
			}
			a.giveUpOne()
			continue
		}
		if first.kind == kindPadding {
			a.consume(a.cursor, a.cursor)
			continue
		}
		// Scan the frame: packets with the first one's timestamp, up to the marker.
		end := a.cursor
		for {
			s := a.at(end)
			if s == nil {
				if end > a.highest || (end >= a.keyStart && !a.missingTooLong(end, now)) {
					return // the rest of the frame may still come
				}
				// A packet of this frame is lost: the frame is.
				a.C.Incomplete++
				a.consume(a.cursor, end-1)
				a.frameLost()
				a.giveUpOne()
				break
			}
			if s.ts != first.ts {
				// A new timestamp without a marker before it: the marker packet never came.
				a.C.Incomplete++
				a.consume(a.cursor, end-1)
				a.startKnown = true
				a.frameLost()
				break
			}
			if s.marker {
				a.finishFrame(a.cursor, end)
				break
			}
			end++
		}
	}
}

func (a *Assembler) finishFrame(from, to int64) {
	// After a lost packet the next frame's start is unknown (the packet may have begun it),
	// unless the frame opens with an SPS: a key frame begins there, and libwebrtc decodes it.
	// mediasoup relies on that when it switches a viewer's layer: it skips one sequence number
	// before the new layer's key frame, to mark the old layer's last frame incomplete.
	ok := a.startKnown || a.at(from).width != 0
	key := false
	width := 0
	inFu := false
	for e := from; e <= to; e++ {
		s := a.at(e)
		key = key || s.key
		if s.width != 0 {
			width = s.width
		}
		switch s.kind {
		case kindSingle:
			ok = ok && !inFu
		case kindFuStart:
			ok = ok && !inFu
			inFu = true
		case kindFuMiddle:
			ok = ok && inFu
		case kindFuEnd:
			ok = ok && inFu
			inFu = false
		}
	}
	if inFu {
		ok = false
		a.C.BrokenFuA++
	}
	a.consume(from, to)
	a.startKnown = true
	if !ok {
		a.C.Incomplete++
		a.frameLost()
		return
	}
	a.C.Complete++
	if width != 0 {
		a.C.Width = width
	}
	if key {
		a.C.KeyFrames++
		a.chainOK = true
		a.NeedKeyFrame = false
	}
	if !a.chainOK {
		a.NeedKeyFrame = true
		return
	}
	a.C.Decodable++
	if layer := layerOfWidth(a.C.Width); layer >= 0 {
		a.C.DecodableBy[layer]++
	}
}

func layerOfWidth(w int) int {
	switch {
	case w == 0:
		return -1
	case w <= 320:
		return 0
	case w <= 640:
		return 1
	default:
		return 2
	}
}

// classify reads the payload's H.264 NAL header(s): the packet's kind, whether it carries an
// IDR slice, and the picture width if it carries an SPS.
func classify(p []byte) (packetKind, bool, int) {
	if len(p) == 0 {
		return kindPadding, false, 0
	}
	nalType := p[0] & 0x1f
	switch {
	case nalType == 28: // FU-A
		if len(p) < 2 {
			return kindFuMiddle, false, 0
		}
		fu := p[1]
		key := fu&0x1f == 5
		switch {
		case fu&0x80 != 0:
			return kindFuStart, key, 0
		case fu&0x40 != 0:
			return kindFuEnd, key, 0
		default:
			return kindFuMiddle, key, 0
		}
	case nalType == 24: // STAP-A: 16-bit sizes, then NAL units
		key, width := false, 0
		for off := 1; off+2 <= len(p); {
			size := int(p[off])<<8 | int(p[off+1])
			off += 2
			if size == 0 || off+size > len(p) {
				break
			}
			t := p[off] & 0x1f
			key = key || t == 5
			if t == 7 {
				width = spsWidth(p[off : off+size])
			}
			off += size
		}
		return kindSingle, key, width
	case nalType >= 1 && nalType <= 23:
		width := 0
		if nalType == 7 {
			width = spsWidth(p)
		}
		return kindSingle, nalType == 5, width
	default:
		return kindSingle, false, 0
	}
}
