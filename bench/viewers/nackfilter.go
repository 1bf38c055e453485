package main

// The NACKs a viewer sends, as libwebrtc sends them: pion's generator asks for a missing packet
// up to 10 times, 20 ms apart, whatever came after it. libwebrtc stops asking for what lies
// before a frame that became decodable (NackRequester::ClearUpTo). That matters at every layer
// switch: mediasoup skips one sequence number before the new layer's key frame on purpose, and
// a viewer that asks for it 10 times in 200 ms sends the SFU 10 NACKs where Chromium sends one.

import (
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

type nackFilterFactory struct {
	// cleared: this packet of this stream is no longer wanted.
	cleared func(ssrc uint32, seq uint16) bool
}

func (f nackFilterFactory) NewInterceptor(_ string) (interceptor.Interceptor, error) {
	return &nackFilter{cleared: f.cleared}, nil
}

type nackFilter struct {
	interceptor.NoOp
	cleared func(ssrc uint32, seq uint16) bool
}

// BindRTCPWriter: registered before the NACK generator, so the generator writes through it.
func (f *nackFilter) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	return interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, attrs interceptor.Attributes) (int, error) {
		kept := pkts[:0:0]
		for _, p := range pkts {
			nack, ok := p.(*rtcp.TransportLayerNack)
			if !ok {
				kept = append(kept, p)
				continue
			}
			var wanted []uint16
			for _, pair := range nack.Nacks {
				for _, seq := range pair.PacketList() {
					if !f.cleared(nack.MediaSSRC, seq) {
						wanted = append(wanted, seq)
					}
				}
			}
			if len(wanted) > 0 {
				kept = append(kept, &rtcp.TransportLayerNack{SenderSSRC: nack.SenderSSRC, MediaSSRC: nack.MediaSSRC, Nacks: rtcp.NackPairsFromSequenceNumbers(wanted)})
			}
		}
		if len(kept) == 0 {
			return 0, nil
		}
		return w.Write(kept, attrs)
	})
}
