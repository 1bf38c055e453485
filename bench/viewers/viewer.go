package main

// One viewer: a pion PeerConnection that answers the offer built from Lectern's consumer
// parameters, with the feedback Chromium sends (transport-cc, NACK, PLI, receiver reports),
// and counts every packet of its video and audio.

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// pliInterval: how often a viewer whose decoder waits for a key frame asks again
// (libwebrtc repeats its request while no decodable frame comes; 200-300 ms).
const pliInterval = 300 * time.Millisecond

// Chromium also asks mediasoup-client's probator (the receiver for the SFU's bandwidth probes,
// SSRC 1234, padding only) for a key frame 5–7 times a second for as long as it watches,
// since no frame ever comes on it; mediasoup reads each request and drops it. A viewer here
// has a probator too (bench/fanout/sdp.ts), but pion sends no PLI for it, so the viewer sends
// the same requests from its first frame, and the worker reads what it reads for a browser.
const (
	probatorSSRC        = 1234
	probatorPliInterval = 200 * time.Millisecond
)

type audioCounter struct {
	packets int64
	highest int64
	first   int64
}

func (c *audioCounter) push(seq uint16) {
	c.packets++
	if c.packets == 1 {
		c.highest, c.first = int64(seq), int64(seq)
		return
	}
	diff := int64(int16(seq - uint16(c.highest)))
	if diff > 0 {
		c.highest += diff
	}
}

type Viewer struct {
	id      string
	pc      *webrtc.PeerConnection
	emit    func(map[string]any)
	started time.Time

	mu        sync.Mutex
	video     *Assembler
	videoSSRC uint32
	audio     audioCounter
	bytes     int64
	plis      int64
	// probatorPlis: PLIs sent to the probator (askProbator).
	probatorPlis int64
	lastPli      time.Time
	firstFrame   bool
	closed       bool
}

func (v *Viewer) Close() {
	v.mu.Lock()
	v.closed = true
	v.mu.Unlock()
	_ = v.pc.Close()
}

func (v *Viewer) onTrack(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	// RTCP from the SFU (sender reports) goes through the interceptors only when read.
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := receiver.Read(buf); err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	if track.Kind() == webrtc.RTPCodecTypeAudio {
		for {
			n, _, err := track.Read(buf)
			if err != nil {
				return
			}
			if pkt.Unmarshal(buf[:n]) != nil {
				continue
			}
			v.mu.Lock()
			v.audio.push(pkt.SequenceNumber)
			v.mu.Unlock()
		}
	}
	ssrc := uint32(track.SSRC())
	if ssrc == probatorSSRC {
		// The probator carries only the SFU's padding probes: read so that transport-cc records them.
		n := 0
		for {
			if _, _, err := track.Read(buf); err != nil {
				return
			}
			n++
			if twccLog && n%100 == 0 {
				debugAlways("%s: probator packets %d", v.id, n)
			}
		}
	}
	debugf("%s: video track ssrc %d codec %s", v.id, ssrc, track.Codec().MimeType)
	v.mu.Lock()
	v.videoSSRC = ssrc
	v.mu.Unlock()
	for {
		n, attrs, err := track.Read(buf)
		if err != nil {
			return
		}
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		rtx := attrs != nil && attrs.Get(webrtc.AttributeRtxSsrc) != nil
		now := time.Now()
		v.mu.Lock()
		v.bytes += int64(n)
		v.video.Push(pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, pkt.Payload, rtx, now)
		if debug && v.video.C.Packets < 40 {
			debugf("%s: seq %d ts %d m %v rtx %v len %d head % x → %+v", v.id, pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, rtx, len(pkt.Payload), pkt.Payload[:min(2, len(pkt.Payload))], v.video.C)
		}
		first := !v.firstFrame && v.video.C.Decodable > 0
		if first {
			v.firstFrame = true
			v.video.C.FirstFrameAt = now
		}
		pli := v.video.NeedKeyFrame && now.Sub(v.lastPli) >= pliInterval
		if pli {
			v.lastPli = now
			v.plis++
		}
		v.mu.Unlock()
		if first {
			v.emit(map[string]any{"type": "first-frame", "id": v.id, "atMs": float64(now.UnixMicro()) / 1000})
			go v.askProbator()
		}
		if pli {
			_ = v.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
		}
	}
}

// cleared: the viewer no longer asks for this packet (nackfilter.go): it is a video packet
// before the latest complete key frame.
func (v *Viewer) cleared(ssrc uint32, seq uint16) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return ssrc == v.videoSSRC && v.video.Cleared(seq)
}

// askProbator sends the probator's PLIs until the viewer closes.
func (v *Viewer) askProbator() {
	t := time.NewTicker(probatorPliInterval)
	defer t.Stop()
	for range t.C {
		v.mu.Lock()
		closed := v.closed
		v.mu.Unlock()
		if closed {
			return
		}
		// A write that fails under load is skipped, as a lost RTCP packet would be; the next tick tries again.
		if err := v.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: probatorSSRC}}); err != nil {
			continue
		}
		v.mu.Lock()
		v.probatorPlis++
		v.mu.Unlock()
	}
}

// counters: one viewer's cumulative figures, in the order the Node side reads them.
func (v *Viewer) counters(now time.Time) []int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.video.Flush(now)
	c := v.video.C
	audioExpected := int64(0)
	if v.audio.packets > 0 {
		audioExpected = v.audio.highest - v.audio.first + 1
	}
	return []int64{
		c.Packets, c.Expected, c.Lost, c.Recovered, c.Duplicates, c.Late,
		c.Complete, c.Decodable, c.KeyFrames, c.Incomplete,
		c.DecodableBy[0], c.DecodableBy[1], c.DecodableBy[2], int64(c.Width),
		v.audio.packets, audioExpected, v.bytes, v.plis, v.probatorPlis,
	}
}

// counterNames: the names of counters(), sent once so the Node side need not hard-code the order.
var counterNames = []string{
	"videoPackets", "videoExpected", "videoLost", "videoRecovered", "videoDuplicates", "videoLate",
	"framesComplete", "framesDecodable", "keyFrames", "framesIncomplete",
	"decodableLayer0", "decodableLayer1", "decodableLayer2", "width",
	"audioPackets", "audioExpected", "bytes", "plis", "probatorPlis",
}

var debug = os.Getenv("VIEWERS_DEBUG") != ""

func debugAlways(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000")+" "+format+"\n", args...)
}

func debugf(format string, args ...any) {
	if debug {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}
}
