package utmp

import (
	"encoding/binary"
	"fmt"
)

// Layout is the shape of the records of one file: their size and the byte
// order of their integers. The two sizes are glibc's struct utmp
// (bits/utmp.h; the same struct is struct utmpx):
//
//	offset  384-byte layout             400-byte layout
//	     0  ut_type int16 (+2 pad)      same
//	     4  ut_pid int32                same
//	     8  ut_line [32]byte            same
//	    40  ut_id [4]byte               same
//	    44  ut_user [32]byte            same
//	    76  ut_host [256]byte           same
//	   332  ut_exit {int16, int16}      same
//	   336  ut_session int32            ut_session int64 (long)
//	   340  ut_tv.tv_sec int32          -
//	   344  ut_tv.tv_usec int32         ut_tv.tv_sec int64
//	   348  ut_addr_v6 [4]int32         -
//	   352  -                           ut_tv.tv_usec int64
//	   360  -                           ut_addr_v6 [4]int32
//	   364  reserved [20]byte           -
//	   376  -                           reserved [20]byte (+4 pad)
//
// The 384-byte layout is the one of ports whose bits/wordsize.h sets
// __WORDSIZE_TIME64_COMPAT32 to 1 (x86-64, ppc64, s390x, sparc64) and of
// every 32-bit port (i386, arm): ut_session and ut_tv are int32 so that 32-
// and 64-bit programs share the file. Ports that set it to 0 (aarch64, as
// glibc's sysdeps/aarch64/bits/wordsize.h does) use "long int ut_session;
// struct timeval ut_tv;": both 64-bit and 8-byte aligned, 396 bytes padded
// to 400. In the 384-byte layout tv_sec is read as unsigned: glibc 2.40 made
// it so to reach 2106, and a negative value is nothing a login program
// writes.
type Layout struct {
	Size  int              // 384 or 400
	Order binary.ByteOrder // binary.LittleEndian or binary.BigEndian
}

// The four layouts Parse knows.
var (
	LittleEndian384 = Layout{Size: Size384, Order: binary.LittleEndian}
	BigEndian384    = Layout{Size: Size384, Order: binary.BigEndian}
	LittleEndian400 = Layout{Size: Size400, Order: binary.LittleEndian}
	BigEndian400    = Layout{Size: Size400, Order: binary.BigEndian}
)

// Record sizes.
const (
	Size384 = 384
	Size400 = 400
)

// layouts is the order detection tries them in; on a tie the first wins
// (x86-64 is the common case).
var layouts = []Layout{LittleEndian384, LittleEndian400, BigEndian384, BigEndian400}

// String names a layout, e.g. "384-byte little-endian".
func (l Layout) String() string {
	order := "little-endian"
	if l.Order == binary.BigEndian {
		order = "big-endian"
	}
	return fmt.Sprintf("%d-byte %s", l.Size, order)
}

func (l Layout) valid() bool {
	return (l.Size == Size384 || l.Size == Size400) && (l.Order == binary.LittleEndian || l.Order == binary.BigEndian)
}

// Detection: how many leading records are scored, and the range of a
// plausible ut_tv (1980-01-01 to 2100-01-01) for scoring only: Parse
// itself reads any time.
const (
	DetectRecords  = 32
	plausibleFirst = 315532800
	plausibleLast  = 4102444800
)

// Detect guesses the layout of the records at the start of a file from
// sample (up to DetectRecords records of the largest size; atEOF says it
// is the whole file). Each layout reads the sample's records and scores
// them: a record whose ut_type is 1..9 with ut_tv.tv_sec in 1980..2100 and
// ut_tv.tv_usec below 10⁶ counts for it; one whose ut_type is outside 0..9,
// whose tv_usec is out of range or whose pid is negative, or a non-EMPTY
// record with an implausible time, counts against it; EMPTY records count
// for nothing. This separates the layouts: a big-endian type reads as a
// multiple of 256 in little-endian, and a 384-byte record read as a
// 400-byte one (or the reverse) finds its time in session or usec bytes,
// 0 or far out of range. When the sample is the whole file, a size that
// divides its length gets a point. ok is false when no layout has a
// single plausible record (an empty, all-zero or garbage sample): the
// layout returned is then LittleEndian384.
func Detect(sample []byte, atEOF bool) (l Layout, ok bool) {
	best, bestScore, bestGood := LittleEndian384, 0, 0
	for i, cand := range layouts {
		good, bad := 0, 0
		for n := 0; n < DetectRecords && (n+1)*cand.Size <= len(sample); n++ {
			switch plausibility(sample[n*cand.Size:(n+1)*cand.Size], cand) {
			case 1:
				good++
			case -1:
				bad++
			}
		}
		score := 2*good - bad
		if atEOF && len(sample) > 0 {
			if len(sample)%cand.Size == 0 {
				score++
			} else {
				score--
			}
		}
		if i == 0 || score > bestScore {
			best, bestScore, bestGood = cand, score, good
		}
	}
	if bestGood == 0 {
		// nothing to go on: fewer implausible records in one layout is no
		// evidence (garbage read as 400-byte records finds zeros that read
		// as EMPTY), so fall back to the common layout
		return LittleEndian384, false
	}
	return best, true
}

// plausibility scores one record read with layout l: 1 plausible, 0
// neutral (EMPTY), -1 implausible.
func plausibility(b []byte, l Layout) int {
	typ := int16(l.Order.Uint16(b[0:2]))
	if typ < Empty || typ > Accounting {
		return -1
	}
	if int32(l.Order.Uint32(b[4:8])) < 0 {
		return -1
	}
	sec, usec := l.times(b)
	if usec < 0 || usec >= 1e6 {
		return -1
	}
	if typ == Empty {
		return 0
	}
	if sec < plausibleFirst || sec >= plausibleLast {
		return -1
	}
	return 1
}

// times reads ut_tv.
func (l Layout) times(b []byte) (sec, usec int64) {
	if l.Size == Size400 {
		return int64(l.Order.Uint64(b[344:352])), int64(l.Order.Uint64(b[352:360]))
	}
	return int64(l.Order.Uint32(b[340:344])), int64(int32(l.Order.Uint32(b[344:348])))
}
