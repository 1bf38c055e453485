package main

// The viewers' UDP sockets get the receive buffer libwebrtc asks for its RTP sockets
// (kVideoRtpRecvBufferSize, 256 KiB; Linux doubles it, within net.core.rmem_max). pion keeps the
// kernel's default (net.core.rmem_default, 208 KiB here), which overflowed at a few hundred
// viewers when many key frames of a layer switch came at once.

import (
	"net"

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
	return c, nil
}
