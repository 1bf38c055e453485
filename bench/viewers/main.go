// The fan-out benchmark's load client: many WebRTC viewers (pion/webrtc) in one process,
// one goroutine per track. Signalling stays in Node (bench/fanout-verified/signaller.ts joins
// each viewer through Lectern's Socket.IO events); it talks to this process in JSON lines:
//
//	stdin:  {"type":"init","h264Pt":..,"rtxPt":..,"opusPt":..,"maxWaitMs":..}
//	        {"type":"add","id":"v1","offer":"<SDP>"}   the offer built from the consumers
//	        {"type":"counters","req":1}                 every viewer's cumulative counters
//	        {"type":"close","id":"v1"}
//	stdout: {"type":"ready","fingerprint":"sha-256 AB:..","counterNames":[..]}
//	        {"type":"answered","id":"v1","setup":"active","answer":"v=0..."}
//	        {"type":"state","id":"v1","state":"connected"}
//	        {"type":"first-frame","id":"v1","atMs":..}  first decodable frame, Unix ms
//	        {"type":"counters","req":1,"atMs":1.7e12,"viewers":{"v1":[..]}}
//	        {"type":"error","id":"v1","message":".."}
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

type message struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	Offer     string `json:"offer"`
	Req       int64  `json:"req"`
	H264Pt    uint8  `json:"h264Pt"`
	H264Fmtp  string `json:"h264Fmtp"`
	RtxPt     uint8  `json:"rtxPt"`
	OpusPt    uint8  `json:"opusPt"`
	MaxWaitMs int    `json:"maxWaitMs"`
}

var (
	outMu sync.Mutex
	out   = bufio.NewWriterSize(os.Stdout, 1<<16)
)

func emit(m map[string]any) {
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	outMu.Lock()
	out.Write(b)
	out.WriteByte('\n')
	out.Flush()
	outMu.Unlock()
}

// newAPI: what Chromium negotiates for receiving H.264 and Opus: NACK (generator, and
// PLI), RTX, transport-wide congestion control feedback, RTCP receiver reports. One per
// viewer, since its NACKs are filtered by what that viewer's decoder already has.
func newAPI(m message, cleared func(ssrc uint32, seq uint16) bool) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	video := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: m.H264Fmtp},
		PayloadType:        webrtc.PayloadType(m.H264Pt),
	}
	rtx := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: fmt.Sprintf("apt=%d", m.H264Pt)},
		PayloadType:        webrtc.PayloadType(m.RtxPt),
	}
	audio := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        webrtc.PayloadType(m.OpusPt),
	}
	if err := me.RegisterCodec(video, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := me.RegisterCodec(rtx, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := me.RegisterCodec(audio, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	for _, ext := range []struct {
		uri  string
		kind webrtc.RTPCodecType
	}{
		{sdp.SDESMidURI, webrtc.RTPCodecTypeVideo},
		{sdp.SDESMidURI, webrtc.RTPCodecTypeAudio},
		{sdp.ABSSendTimeURI, webrtc.RTPCodecTypeVideo},
		{sdp.AudioLevelURI, webrtc.RTPCodecTypeAudio},
	} {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: ext.uri}, ext.kind); err != nil {
			return nil, err
		}
	}
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "ccm", Parameter: "fir"}, webrtc.RTPCodecTypeVideo)
	reg, err := newRegistry(me, cleared)
	if err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	vnet, err := newBufferedNet()
	if err != nil {
		return nil, err
	}
	se.SetNet(vnet)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if err := se.SetAnsweringDTLSRole(webrtc.DTLSRoleClient); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}

// newRegistry: the viewer's interceptors, in the order that matters: the NACK filter ahead of
// the generator, whose NACKs go out through it.
func newRegistry(me *webrtc.MediaEngine, cleared func(ssrc uint32, seq uint16) bool) (*interceptor.Registry, error) {
	reg := &interceptor.Registry{}
	// Before the generator, which writes its NACKs through the interceptors registered ahead of it.
	reg.Add(nackFilterFactory{cleared: cleared})
	// NACK: the generator asks for what is missing; registers nack and nack pli feedback. It
	// gives up on a packet after 10 requests, as libwebrtc does (kMaxNackRetries). Without the
	// limit it asks again at every interval (20 ms here) for as long as the packet is in its
	// 512-packet receive log, seconds of video: 50 NACKs a second for a packet the SFU never
	// sent (its layer switches skip one sequence number on purpose).
	nackOptions := []nack.GeneratorOption{nack.GeneratorInterval(20 * time.Millisecond), nack.GeneratorMaxNacksPerPacket(10)}
	if err := webrtc.ConfigureNackWithOptions(me, reg, nackOptions); err != nil {
		return nil, err
	}
	recv, err := report.NewReceiverInterceptor()
	if err != nil {
		return nil, err
	}
	reg.Add(recv)
	if twccLog {
		reg.Add(twccLoggerFactory{})
	}
	// transport-cc: registers the feedback and the header extension, and sends the reports.
	if err := webrtc.ConfigureTWCCSenderWithOptions(me, reg, twcc.SendInterval(100*time.Millisecond)); err != nil {
		return nil, err
	}
	return reg, nil
}

var setupRe = regexp.MustCompile(`(?m)^a=setup:(\w+)`)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<16), 1<<22)
	var initMsg *message
	var cert webrtc.Certificate
	var maxWait time.Duration
	var mu sync.Mutex
	viewers := map[string]*Viewer{}

	for in.Scan() {
		var m message
		if err := json.Unmarshal(in.Bytes(), &m); err != nil {
			emit(map[string]any{"type": "error", "message": "bad line: " + err.Error()})
			continue
		}
		switch m.Type {
		case "init":
			// Checks the settings once, so a bad init fails here rather than at every viewer.
			if _, err := newAPI(m, func(uint32, uint16) bool { return false }); err != nil {
				emit(map[string]any{"type": "error", "message": err.Error()})
				os.Exit(1)
			}
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			c, err := webrtc.GenerateCertificate(key)
			if err != nil {
				emit(map[string]any{"type": "error", "message": err.Error()})
				os.Exit(1)
			}
			cert = *c
			fps, _ := cert.GetFingerprints()
			fp := ""
			for _, f := range fps {
				if f.Algorithm == "sha-256" {
					// As SDP carries it: mediasoup compares it with its own upper-case hex.
					fp = strings.ToUpper(f.Value)
				}
			}
			maxWait = time.Duration(m.MaxWaitMs) * time.Millisecond
			initMsg = &m
			emit(map[string]any{"type": "ready", "fingerprint": fp, "counterNames": counterNames})
		case "add":
			if initMsg == nil {
				emit(map[string]any{"type": "error", "id": m.ID, "message": "not initialised"})
				continue
			}
			v, err := addViewer(*initMsg, cert, m, maxWait)
			if err != nil {
				emit(map[string]any{"type": "error", "id": m.ID, "message": err.Error()})
				continue
			}
			mu.Lock()
			viewers[m.ID] = v
			mu.Unlock()
		case "counters":
			now := time.Now()
			mu.Lock()
			list := make([]*Viewer, 0, len(viewers))
			for _, v := range viewers {
				list = append(list, v)
			}
			mu.Unlock()
			res := make(map[string][]int64, len(list))
			for _, v := range list {
				res[v.id] = v.counters(now)
			}
			emit(map[string]any{"type": "counters", "req": m.Req, "atMs": float64(now.UnixMicro()) / 1000, "viewers": res})
		case "close":
			mu.Lock()
			v := viewers[m.ID]
			delete(viewers, m.ID)
			mu.Unlock()
			if v != nil {
				go v.Close()
			}
		}
	}
	// stdin closed: the bench is done (or died); leave.
	os.Exit(0)
}

func addViewer(init message, cert webrtc.Certificate, m message, maxWait time.Duration) (*Viewer, error) {
	v := &Viewer{id: m.ID, emit: emit, started: time.Now(), video: NewAssembler(maxWait)}
	api, err := newAPI(init, v.cleared)
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{Certificates: []webrtc.Certificate{cert}})
	if err != nil {
		return nil, err
	}
	v.pc = pc
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) { go v.onTrack(t, r) })
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		emit(map[string]any{"type": "state", "id": m.ID, "state": s.String()})
	})
	fail := func(err error) (*Viewer, error) {
		_ = pc.Close()
		return nil, err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.Offer}); err != nil {
		return fail(fmt.Errorf("remote offer: %w", err))
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(fmt.Errorf("answer: %w", err))
	}
	if err := pc.SetLocalDescription(answer); err != nil {
		return fail(fmt.Errorf("local answer: %w", err))
	}
	setup := ""
	if s := setupRe.FindStringSubmatch(answer.SDP); s != nil {
		setup = s[1]
	}
	debugf("%s offer:\n%s\nanswer:\n%s", m.ID, m.Offer, answer.SDP)
	emit(map[string]any{"type": "answered", "id": m.ID, "setup": setup, "answer": answer.SDP})
	return v, nil
}
