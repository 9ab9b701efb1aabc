/* Serial ports (termios, RS-485) and socket calls Swift cannot reach without _GNU_SOURCE, for the Modbus layer. */
#define _GNU_SOURCE
#include "CLinux.h"
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <linux/serial.h>

int cl_accept_with_peer(int listener, struct sockaddr *address, socklen_t *length) {
    return accept4(listener, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

static speed_t cl_speed(int baud) {
    switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return 0;
    }
}

int cl_serial_configure(int fd, int baud, char parity, int data_bits, int stop_bits) {
    struct termios tio;
    speed_t speed = cl_speed(baud);
    if (speed == 0) { errno = EINVAL; return -1; }
    if (tcgetattr(fd, &tio) < 0) return -1;
    cfmakeraw(&tio);
    cfsetispeed(&tio, speed);
    cfsetospeed(&tio, speed);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    switch (data_bits) {
    case 5: tio.c_cflag |= CS5; break;
    case 6: tio.c_cflag |= CS6; break;
    case 7: tio.c_cflag |= CS7; break;
    case 8: tio.c_cflag |= CS8; break;
    default: errno = EINVAL; return -1;
    }
    if (parity == 'E') tio.c_cflag |= PARENB;
    else if (parity == 'O') tio.c_cflag |= PARENB | PARODD;
    else if (parity != 'N') { errno = EINVAL; return -1; }
    if (stop_bits == 2) tio.c_cflag |= CSTOPB;
    else if (stop_bits != 1) { errno = EINVAL; return -1; }
    tio.c_iflag &= ~(IXON | IXOFF | IXANY);
    if (parity != 'N') tio.c_iflag |= INPCK;
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &tio) < 0) return -1;
    tcflush(fd, TCIOFLUSH);
    return 0;
}

int cl_serial_set_rs485(int fd, int enable, int rts_on_send, int rts_after_send, unsigned delay_before_ms, unsigned delay_after_ms) {
    struct serial_rs485 conf;
    memset(&conf, 0, sizeof conf);
    if (enable) {
        conf.flags |= SER_RS485_ENABLED;
        if (rts_on_send) conf.flags |= SER_RS485_RTS_ON_SEND;
        if (rts_after_send) conf.flags |= SER_RS485_RTS_AFTER_SEND;
        conf.delay_rts_before_send = delay_before_ms;
        conf.delay_rts_after_send = delay_after_ms;
    }
    return ioctl(fd, TIOCSRS485, &conf);
}

int cl_serial_output_pending(int fd) {
    int n = 0;
    if (ioctl(fd, TIOCOUTQ, &n) < 0) return -1;
    return n;
}
