package main

// VIEWERS_TWCC_LOG=1: one stderr line per transport-cc feedback a viewer sends (diagnosis only).

import (
	"os"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

var twccLog = os.Getenv("VIEWERS_TWCC_LOG") != ""

type twccLogger struct {
	interceptor.NoOp
	n atomic.Int64
}

type twccLoggerFactory struct{}

func (twccLoggerFactory) NewInterceptor(_ string) (interceptor.Interceptor, error) {
	return &twccLogger{}, nil
}

func (l *twccLogger) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	return interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, attrs interceptor.Attributes) (int, error) {
		for _, p := range pkts {
			fb, ok := p.(*rtcp.TransportLayerCC)
			if !ok {
				continue
			}
			recv, lost := 0, 0
			for _, c := range fb.PacketChunks {
				switch ch := c.(type) {
				case *rtcp.RunLengthChunk:
					if ch.PacketStatusSymbol == rtcp.TypeTCCPacketNotReceived {
						lost += int(ch.RunLength)
					} else {
						recv += int(ch.RunLength)
					}
				case *rtcp.StatusVectorChunk:
					for _, s := range ch.SymbolList {
						if s == rtcp.TypeTCCPacketNotReceived {
							lost++
						} else {
							recv++
						}
					}
				}
			}
			var sum, maxD, minD int64
			for i, d := range fb.RecvDeltas {
				sum += d.Delta
				if i == 0 || d.Delta > maxD {
					maxD = d.Delta
				}
				if i == 0 || d.Delta < minD {
					minD = d.Delta
				}
			}
			if len(fb.RecvDeltas) > 4 {
				ds := make([]int64, len(fb.RecvDeltas))
				for i, d := range fb.RecvDeltas {
					ds[i] = d.Delta / 250
				}
				debugAlways("twcc deltas (250us): %v", ds)
			}
			debugAlways("twcc fb#%d base %d count %d ref %d recv %d notrecv %d deltas sum %dus min %d max %d", l.n.Add(1), fb.BaseSequenceNumber, fb.PacketStatusCount, fb.ReferenceTime, recv, lost, sum, minD, maxD)
		}
		return w.Write(pkts, attrs)
	})
}
