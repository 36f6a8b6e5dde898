# gf build configuration. Override on the command line: make PREFIX=/opt/gf
VERSION = 0.1.0

PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
DATADIR = $(PREFIX)/share/gf

CC = cc
PKG_CONFIG = pkg-config
DEPS = libcurl jansson yaml-0.1 libarchive libgit2 libssh2 expat

CPPFLAGS = -D_GNU_SOURCE -DGF_VERSION='"$(VERSION)"'
CFLAGS = -std=c11 -O2 -g -Wall -Wextra -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wold-style-definition -Wvla -Wwrite-strings \
	-Wpointer-arith -Wshadow
LDFLAGS = -Wl,--as-needed
LDLIBS = -lm -lpthread
