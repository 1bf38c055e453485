package main

import (
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
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
