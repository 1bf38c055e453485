package main

import (
	"testing"
	"time"
)

// A 320-wide baseline SPS (x264, 320x180: a real one, emulation prevention included) and the NAL headers the tests packetize.
var sps320 = []byte{0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x06, 0x7e, 0x7c, 0x04, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0f, 0x23, 0xc5, 0x0a, 0xa8}

type pkt struct {
	seq     uint16
	ts      uint32
	marker  bool
	payload []byte
}

func fu(start, end bool, nalType byte) []byte {
	h := nalType
	if start {
		h |= 0x80
	}
	if end {
		h |= 0x40
	}
	return []byte{0x7c, h, 0xaa, 0xbb}
}

// keyFrame: SPS, then an IDR slice in three FU-A fragments. deltaFrame: one P slice.
func keyFrame(seq uint16, ts uint32) []pkt {
	return []pkt{
		{seq, ts, false, sps320},
		{seq + 1, ts, false, fu(true, false, 5)},
		{seq + 2, ts, false, fu(false, false, 5)},
		{seq + 3, ts, true, fu(false, true, 5)},
	}
}

func deltaFrame(seq uint16, ts uint32) []pkt {
	return []pkt{{seq, ts, false, fu(true, false, 1)}, {seq + 1, ts, true, fu(false, true, 1)}}
}

func stream(start uint16, frames int) []pkt {
	var all []pkt
	seq := start
	for i := 0; i < frames; i++ {
		var f []pkt
		if i%10 == 0 {
			f = keyFrame(seq, uint32(i*3000))
		} else {
			f = deltaFrame(seq, uint32(i*3000))
		}
		all = append(all, f...)
		seq += uint16(len(f))
	}
	return all
}

func feed(a *Assembler, ps []pkt, t0 time.Time, rtx bool) {
	for i, p := range ps {
		a.Push(p.seq, p.ts, p.marker, p.payload, rtx, t0.Add(time.Duration(i)*time.Millisecond))
	}
}

func TestEveryFrameOfACleanStreamIsDecodable(t *testing.T) {
	a := NewAssembler(500 * time.Millisecond)
	feed(a, stream(65530, 30), time.Now(), false) // wraps the sequence number
	c := a.C
	if c.Complete != 30 || c.Decodable != 30 || c.KeyFrames != 3 || c.Lost != 0 || c.DecodableBy[0] != 30 || c.Width != 320 {
		t.Fatalf("clean stream: %+v", c)
	}
}

func TestARetransmittedPacketCompletesItsFrame(t *testing.T) {
	a := NewAssembler(500 * time.Millisecond)
	ps := stream(100, 5)
	t0 := time.Now()
	missing := ps[5] // in frame 1 (after the 4-packet key frame)
	feed(a, append(append([]pkt{}, ps[:5]...), ps[6:]...), t0, false)
	if a.C.Complete != 1 {
		t.Fatalf("frames after the hole waited for it: %+v", a.C)
	}
	a.Push(missing.seq, missing.ts, missing.marker, missing.payload, true, t0.Add(50*time.Millisecond))
	if a.C.Decodable != 5 || a.C.Recovered != 1 || a.C.Lost != 0 {
		t.Fatalf("after the retransmission: %+v", a.C)
	}
}

func TestALostPacketCostsItsFrameAndTheChainUntilAKeyFrame(t *testing.T) {
	a := NewAssembler(100 * time.Millisecond)
	ps := stream(1, 25) // key frames at 0, 10, 20; 4 + 9*2 packets per group
	lost := 4 + 2*3     // the first packet of frame 4
	t0 := time.Now()
	feed(a, append(append([]pkt{}, ps[:lost]...), ps[lost+1:]...), t0, false)
	a.Flush(t0.Add(time.Second))
	c := a.C
	// frame 4 is lost; 5..9 are complete but undecodable; 10.. decode again.
	if c.Lost != 1 || c.Incomplete != 1 || c.Complete != 24 || c.Decodable != 19 || !(c.Expected == int64(len(ps))) {
		t.Fatalf("lost packet: %+v (packets %d)", c, len(ps))
	}
	if a.NeedKeyFrame {
		t.Fatal("still asking for a key frame after one arrived")
	}
}

func TestAKeyFrameAfterASkippedSequenceNumberDecodes(t *testing.T) {
	// mediasoup's layer switch: one sequence number never sent, then the new layer's key frame.
	a := NewAssembler(100 * time.Millisecond)
	ps := stream(1, 15) // key frames at 0 and 10
	skipAt := 4 + 9*2   // the key frame of frame 10
	for i := skipAt; i < len(ps); i++ {
		ps[i].seq++
	}
	t0 := time.Now()
	feed(a, ps, t0, false)
	a.Flush(t0.Add(time.Second))
	if a.C.Lost != 1 || a.C.Decodable != 15 || a.NeedKeyFrame {
		t.Fatalf("skipped sequence number: %+v", a.C)
	}
}

func TestAKeyFrameAfterASkippedNumberEndsTheWaitAndTheNacks(t *testing.T) {
	// As libwebrtc: once the key frame behind the gap is whole, the gap is neither waited
	// for (the frames decode at once, not maxWait later) nor asked for again.
	a := NewAssembler(time.Second)
	ps := stream(65515, 15) // key frames at 0 and 10; the gap and the key frame after it straddle 65535 → 0
	skipAt := 4 + 9*2
	skipped := ps[skipAt].seq
	for i := skipAt; i < len(ps); i++ {
		ps[i].seq++
	}
	if a.Cleared(skipped) {
		t.Fatal("cleared before any key frame")
	}
	feed(a, ps[:skipAt+2], time.Now(), false) // the new key frame's first two packets
	if a.Cleared(skipped) {
		t.Fatal("cleared before the key frame was whole")
	}
	feed(a, ps[skipAt+2:], time.Now(), false)
	if a.C.Lost != 1 || a.C.Decodable != 15 || a.NeedKeyFrame {
		t.Fatalf("frames after the gap waited for it: %+v", a.C)
	}
	if !a.Cleared(skipped) || !a.Cleared(skipped-1) || a.Cleared(ps[skipAt].seq) || a.Cleared(ps[len(ps)-1].seq+1) {
		t.Fatalf("cleared: the gap %v, the key frame's start %v", a.Cleared(skipped), a.Cleared(ps[skipAt].seq))
	}
	// 40,000 packets on with no key frame, what the stream misses now is after that key frame.
	seq, ts := ps[len(ps)-1].seq+1, ps[len(ps)-1].ts
	for i := 0; i < 20000; i++ {
		ts += 3000
		feed(a, deltaFrame(seq, ts), time.Now(), false)
		seq += 2
	}
	if a.Cleared(seq + 1) {
		t.Fatal("a packet 40,000 numbers after the key frame counts as before it")
	}
}

func TestALostMarkerLeavesTheNextFrameWithoutAKnownStart(t *testing.T) {
	a := NewAssembler(100 * time.Millisecond)
	ps := stream(1, 3)
	t0 := time.Now()
	// drop the key frame's last packet (its marker)
	feed(a, append(append([]pkt{}, ps[:3]...), ps[4:]...), t0, false)
	a.Flush(t0.Add(time.Second))
	if a.C.Decodable != 0 || a.C.Lost != 1 || !a.NeedKeyFrame {
		t.Fatalf("lost marker: %+v", a.C)
	}
}

func TestAnFuAWithoutItsStartIsNotComplete(t *testing.T) {
	a := NewAssembler(100 * time.Millisecond)
	f := keyFrame(10, 0)
	f[1].payload = fu(false, false, 5) // the start bit is missing
	feed(a, f, time.Now(), false)
	if a.C.Complete != 0 || a.C.Incomplete != 1 {
		t.Fatalf("broken FU-A: %+v", a.C)
	}
}

func TestDuplicatesAndLatePacketsAreNotCountedTwice(t *testing.T) {
	a := NewAssembler(100 * time.Millisecond)
	ps := stream(1, 2)
	t0 := time.Now()
	feed(a, ps, t0, false)
	feed(a, ps[:2], t0, true)
	if a.C.Packets != int64(len(ps)) || a.C.Late != 2 || a.C.Decodable != 2 {
		t.Fatalf("duplicates: %+v", a.C)
	}
}

func TestSpsWidth(t *testing.T) {
	if w := spsWidth(sps320); w != 320 {
		t.Fatalf("width %d", w)
	}
}
