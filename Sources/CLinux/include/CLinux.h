/*
 * CLinux: Linux interfaces that Swift's Glibc module does not bring in (epoll, timerfd, signalfd,
 * serial ioctls), plus wrappers for what Swift cannot call directly (variadic ioctl).
 */
#ifndef CLINUX_H
#define CLINUX_H

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/signalfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <termios.h>
#include <linux/serial.h>

/** ioctl(fd, FIONREAD): bytes waiting to be read, or -1. */
int cl_bytes_available(int fd);

/** accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC): a pending connection as a non-blocking fd, or -1. */
int cl_accept_nonblocking(int listener);

/* serial.c: for the Modbus layer. */

/** accept4(listener, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC): a pending connection and its peer address, or -1. */
int cl_accept_with_peer(int listener, struct sockaddr *address, socklen_t *length);

/** Raw mode at `baud` (1200…921600), parity 'N'/'E'/'O', 5–8 data bits, 1 or 2 stop bits, no flow control,
 *  reads that never wait (VMIN=VTIME=0). 0, or -1 with errno (EINVAL for an unsupported setting). */
int cl_serial_configure(int fd, int baud, char parity, int data_bits, int stop_bits);

/** ioctl(TIOCSRS485): the kernel drives RTS as the RS-485 driver-enable line around each transmission. 0 or -1. */
int cl_serial_set_rs485(int fd, int enable, int rts_on_send, int rts_after_send, unsigned delay_before_ms, unsigned delay_after_ms);

/** ioctl(TIOCOUTQ): bytes not yet sent by the UART, or -1. */
int cl_serial_output_pending(int fd);


/// Drops the pages of code and read-only data that start-up faulted in (MADV_DONTNEED on the files' own pages of
/// read-only file mappings; relocated copies stay); they fault back in from the page cache when used. fieldagent calls
/// it at main, once the config is read and once the agent has started, so the peak RSS holds one phase's pages at a
/// time. Returns the mappings dropped, or -1.
int cl_drop_startup_code_pages(void);
#endif
