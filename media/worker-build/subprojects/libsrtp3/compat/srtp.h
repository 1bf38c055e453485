// The libsrtp3 API that mediasoup's worker calls, expressed over Debian's
// libsrtp2. libsrtp3 takes separate in/out buffers with size_t lengths;
// libsrtp2 works in place with int lengths, so each call copies into the
// output buffer first and then lets libsrtp2 transform it there.
#pragma once

#include <srtp2/srtp.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>

#ifndef LECTERN_HAS_SRTP_ERR_STATUS_BUFFER_SMALL
// Values past libsrtp2's last code, so that they stay distinct map keys.
constexpr srtp_err_status_t srtp_err_status_buffer_small = static_cast<srtp_err_status_t>(28);
#endif
#ifndef LECTERN_HAS_SRTP_ERR_STATUS_CRYPTEX_ERR
constexpr srtp_err_status_t srtp_err_status_cryptex_err = static_cast<srtp_err_status_t>(29);
#endif

namespace lectern_srtp_compat
{
	using Transform = srtp_err_status_t (*)(srtp_t, void*, int*);

	inline srtp_err_status_t Run(
	  Transform transform,
	  srtp_t ctx,
	  const uint8_t* in,
	  size_t inLen,
	  uint8_t* out,
	  size_t* outLen,
	  size_t growth)
	{
		if (inLen > static_cast<size_t>(INT_MAX) - growth || *outLen < inLen + growth)
		{
			return srtp_err_status_buffer_small;
		}
		if (in != out)
		{
			std::memmove(out, in, inLen);
		}
		int len = static_cast<int>(inLen);
		const srtp_err_status_t err = transform(ctx, out, &len);
		if (err == srtp_err_status_ok)
		{
			*outLen = static_cast<size_t>(len);
		}
		return err;
	}
} // namespace lectern_srtp_compat

inline srtp_err_status_t srtp_protect(
  srtp_t ctx, const uint8_t* rtp, size_t rtpLen, uint8_t* srtp, size_t* srtpLen, size_t /*mkiIndex*/)
{
	return lectern_srtp_compat::Run(
	  ::srtp_protect, ctx, rtp, rtpLen, srtp, srtpLen, SRTP_MAX_TRAILER_LEN);
}

inline srtp_err_status_t srtp_unprotect(
  srtp_t ctx, const uint8_t* srtp, size_t srtpLen, uint8_t* rtp, size_t* rtpLen)
{
	return lectern_srtp_compat::Run(::srtp_unprotect, ctx, srtp, srtpLen, rtp, rtpLen, 0);
}

inline srtp_err_status_t srtp_protect_rtcp(
  srtp_t ctx, const uint8_t* rtcp, size_t rtcpLen, uint8_t* srtcp, size_t* srtcpLen, size_t /*mkiIndex*/)
{
	return lectern_srtp_compat::Run(
	  ::srtp_protect_rtcp, ctx, rtcp, rtcpLen, srtcp, srtcpLen, SRTP_MAX_TRAILER_LEN + 4 /* SRTCP E-flag and index */);
}

inline srtp_err_status_t srtp_unprotect_rtcp(
  srtp_t ctx, const uint8_t* srtcp, size_t srtcpLen, uint8_t* rtcp, size_t* rtcpLen)
{
	return lectern_srtp_compat::Run(::srtp_unprotect_rtcp, ctx, srtcp, srtcpLen, rtcp, rtcpLen, 0);
}

inline srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc)
{
	return ::srtp_remove_stream(session, ssrc);
}
