// Command volhelper is the stand-in process the volatile-state tests of
// package collector start: it keeps a marker string in its heap, listens on
// sockets, holds a deleted FIFO open or fills memory, prints "ready" and a
// value on one line, then sleeps until killed.
//
//	volhelper marker STRING
//	volhelper listen NETWORK ADDR    (prints the bound port)
//	volhelper fifo PATH               (creates, opens, unlinks a FIFO)
//	volhelper alloc MIB [random]      (touches MIB MiB of heap, or fills it with random bytes)
//	volhelper mapdel PATH TEXT        (writes TEXT to PATH, maps it, deletes it)
//	volhelper burn N                  (N threads that spin on the CPU, as a miner does)
package main

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var keep [][]byte

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: volhelper marker|listen|fifo|alloc ARGS")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "marker":
		for i := 0; i < 16; i++ {
			b := make([]byte, 0, 4096)
			b = append(b, os.Args[2]...)
			keep = append(keep, b)
		}
		fmt.Println("ready", os.Getpid())
	case "listen":
		if strings.HasPrefix(os.Args[2], "udp") {
			c, err := net.ListenPacket(os.Args[2], os.Args[3])
			check(err)
			fmt.Println("ready", c.LocalAddr().(*net.UDPAddr).Port)
			defer c.Close()
		} else {
			l, err := net.Listen(os.Args[2], os.Args[3])
			check(err)
			fmt.Println("ready", l.Addr().(*net.TCPAddr).Port)
			defer l.Close()
		}
	case "fifo":
		check(syscall.Mkfifo(os.Args[2], 0o600))
		f, err := os.OpenFile(os.Args[2], os.O_RDWR, 0)
		check(err)
		defer f.Close()
		check(os.Remove(os.Args[2]))
		fmt.Println("ready", f.Fd())
	case "burn":
		n, err := strconv.Atoi(os.Args[2])
		check(err)
		runtime.GOMAXPROCS(n)
		for i := 0; i < n; i++ {
			go func() {
				x := uint64(i)
				for {
					x = x*6364136223846793005 + 1442695040888963407
				}
			}()
		}
		fmt.Println("ready", n)
	case "mapdel":
		check(os.WriteFile(os.Args[2], []byte(os.Args[3]), 0o600))
		f, err := os.Open(os.Args[2])
		check(err)
		m, err := syscall.Mmap(int(f.Fd()), 0, len(os.Args[3]), syscall.PROT_READ, syscall.MAP_SHARED)
		check(err)
		f.Close()
		check(os.Remove(os.Args[2]))
		keep = append(keep, m)
		fmt.Println("ready", os.Getpid())
	case "alloc":
		n, err := strconv.Atoi(os.Args[2])
		check(err)
		random := len(os.Args) > 3 && os.Args[3] == "random"
		for i := 0; i < n; i++ {
			b := make([]byte, 1<<20)
			if random {
				rand.Read(b) // incompressible: the worst case for the dump's zstd
			} else {
				for j := 0; j < len(b); j += 4096 {
					b[j] = byte(i + j)
				}
			}
			keep = append(keep, b)
		}
		fmt.Println("ready", n)
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
	for {
		time.Sleep(time.Hour)
		runtime.KeepAlive(keep)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
