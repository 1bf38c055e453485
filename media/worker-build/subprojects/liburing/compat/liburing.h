/* Helpers from liburing 2.4 that mediasoup's worker uses, for older system
 * releases. The version comes from pkg-config (see ../meson.build). */
#pragma once

#include_next <liburing.h>

#if LECTERN_LIBURING_MAJOR == 2 && LECTERN_LIBURING_MINOR < 4
static inline int io_uring_major_version(void)
{
	return LECTERN_LIBURING_MAJOR;
}

static inline int io_uring_minor_version(void)
{
	return LECTERN_LIBURING_MINOR;
}

static inline void io_uring_prep_sendto(
  struct io_uring_sqe* sqe,
  int sockfd,
  const void* buf,
  size_t len,
  int flags,
  const struct sockaddr* addr,
  socklen_t addrlen)
{
	io_uring_prep_send(sqe, sockfd, buf, len, flags);
	io_uring_prep_send_set_addr(sqe, addr, addrlen);
}
#endif
