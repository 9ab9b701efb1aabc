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

#endif
