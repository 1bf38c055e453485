package main

// The viewers' UDP sockets get the receive buffer libwebrtc asks for its RTP sockets
// (kVideoRtpRecvBufferSize, 256 KiB; Linux doubles it, within net.core.rmem_max). pion keeps the
// kernel's default (net.core.rmem_default, 208 KiB here), which overflowed at 200 viewers
// when many layer switches' key frames came at once.

import (
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

const rtpReceiveBuffer = 256 * 1024

type bufferedNet struct{ *stdnet.Net }

func newBufferedNet() (transport.Net, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return bufferedNet{n}, nil
}

func (n bufferedNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	// Best effort, as in libwebrtc: a refused size leaves the default.
	_ = c.SetReadBuffer(rtpReceiveBuffer)
	reportBuffer.Do(func() { logReceiveBuffer(c) })
	return c, nil
}

var reportBuffer sync.Once

// logReceiveBuffer says once what the kernel gave (twice what was asked, within net.core.rmem_max).
func logReceiveBuffer(c transport.UDPConn) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		if n, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF); err == nil {
			fmt.Fprintf(os.Stderr, "UDP receive buffer: asked %d bytes, the kernel gave %d\n", rtpReceiveBuffer, n)
		}
	})
}
