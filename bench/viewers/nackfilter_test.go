package main

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

func TestTheNackFilterWithholdsOnlyClearedPacketsOfTheirStream(t *testing.T) {
	cleared := func(ssrc uint32, seq uint16) bool { return ssrc == 7 && seq < 100 }
	var got []rtcp.Packet
	w := (&nackFilter{cleared: cleared}).BindRTCPWriter(interceptor.RTCPWriterFunc(func(p []rtcp.Packet, _ interceptor.Attributes) (int, error) {
		got = append(got, p...)
		return 0, nil
	}))
	pli := &rtcp.PictureLossIndication{MediaSSRC: 7}
	_, _ = w.Write([]rtcp.Packet{
		&rtcp.TransportLayerNack{MediaSSRC: 7, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{98, 99, 100, 103})},
		&rtcp.TransportLayerNack{MediaSSRC: 7, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{50})},
		&rtcp.TransportLayerNack{MediaSSRC: 8, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{50})},
		pli,
	}, nil)
	if len(got) != 3 {
		t.Fatalf("want the first NACK trimmed, the second dropped, the other stream's and the PLI kept; got %d packets", len(got))
	}
	var seqs []uint16
	for _, pair := range got[0].(*rtcp.TransportLayerNack).Nacks {
		seqs = append(seqs, pair.PacketList()...)
	}
	if len(seqs) != 2 || seqs[0] != 100 || seqs[1] != 103 {
		t.Fatalf("first NACK asks for %v, want [100 103]", seqs)
	}
	if n := got[1].(*rtcp.TransportLayerNack); n.MediaSSRC != 8 || got[2] != pli {
		t.Fatalf("kept: %+v, %+v", n, got[2])
	}
	got = nil
	_, _ = w.Write([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: 7, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{1})}}, nil)
	if got != nil {
		t.Fatal("a batch with nothing left is still written")
	}
}

// The registry's order: the generator's NACKs reach the transport through the filter.
func TestTheViewersGeneratorSendsNoNackForAClearedPacket(t *testing.T) {
	reg, err := newRegistry(&webrtc.MediaEngine{}, func(ssrc uint32, seq uint16) bool { return ssrc == 7 && seq < 105 })
	if err != nil {
		t.Fatal(err)
	}
	chain, err := reg.Build("")
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	var mu sync.Mutex
	asked := map[uint16]bool{}
	chain.BindRTCPWriter(interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range pkts {
			if n, ok := p.(*rtcp.TransportLayerNack); ok {
				for _, pair := range n.Nacks {
					for _, seq := range pair.PacketList() {
						asked[seq] = true
					}
				}
			}
		}
		return 0, nil
	}))
	var next []uint16
	for seq := uint16(100); seq <= 112; seq++ {
		if seq != 102 && seq != 108 { // 102 is cleared, 108 is not
			next = append(next, seq)
		}
	}
	info := &interceptor.StreamInfo{SSRC: 7, ClockRate: 90000, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}
	reader := chain.BindRemoteStream(info, interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		p := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 7, SequenceNumber: next[0], PayloadType: 96}, Payload: []byte{1}}
		next = next[1:]
		n, err := p.MarshalTo(b)
		return n, a, err
	}))
	buf := make([]byte, 1500)
	for len(next) > 0 {
		if _, _, err := reader.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		done := asked[108]
		mu.Unlock()
		if done {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if !asked[108] || asked[102] {
		t.Fatalf("NACKed %v: want 108 and not 102", asked)
	}
}
