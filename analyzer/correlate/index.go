package correlate

import "strconv"

// bp keys a process-scoped fact: its bundle and PID.
type bp struct {
	bundle string
	pid    int64
}

// index holds the lookups the joins make, built once, so that a thread's
// joins cost what its own processes, sockets and flows cost, whatever the
// size of the case.
type index struct {
	socksByPID     map[bp][]*sock
	held           map[string]bool    // bundle|local|remote of sockets a process held
	flowsByTuple   map[string][]*flow // bundle|src|dst, as captured
	flowsByDst     map[string][]*flow // bundle|dst
	flowsBySrc     map[string][]*flow // bundle|src
	stratumByTuple map[string][]*flow
	loginsByPID    map[bp][]*login
	sessionsByPID  map[bp][]*session
	sessionsByIP   map[string][]*session // bundle|client ip
	indicatorsBy   map[bp][]*indicator
	listenersBy    map[string][]*sock // bundle|port
}

func tupleKey(bundle string, a, b endpoint) string {
	return bundle + "|" + a.String() + "|" + b.String()
}

func (b *builder) buildIndex() {
	c := b.c
	x := index{socksByPID: map[bp][]*sock{}, held: map[string]bool{}, flowsByTuple: map[string][]*flow{},
		flowsByDst: map[string][]*flow{}, flowsBySrc: map[string][]*flow{}, stratumByTuple: map[string][]*flow{},
		loginsByPID: map[bp][]*login{}, sessionsByPID: map[bp][]*session{}, sessionsByIP: map[string][]*session{},
		indicatorsBy: map[bp][]*indicator{}, listenersBy: map[string][]*sock{}}
	for i := range c.socks {
		s := &c.socks[i]
		if s.pid != 0 {
			x.socksByPID[bp{s.bundle, s.pid}] = append(x.socksByPID[bp{s.bundle, s.pid}], s)
			x.held[tupleKey(s.bundle, s.local, s.remote)] = true
		}
	}
	for i := range c.flows {
		f := &c.flows[i]
		k := tupleKey(f.bundle, f.src, f.dst)
		x.flowsByTuple[k] = append(x.flowsByTuple[k], f)
		x.flowsByDst[f.bundle+"|"+f.dst.String()] = append(x.flowsByDst[f.bundle+"|"+f.dst.String()], f)
		x.flowsBySrc[f.bundle+"|"+f.src.String()] = append(x.flowsBySrc[f.bundle+"|"+f.src.String()], f)
	}
	for i := range c.stratum {
		f := &c.stratum[i]
		k := tupleKey(f.bundle, f.src, f.dst)
		x.stratumByTuple[k] = append(x.stratumByTuple[k], f)
	}
	for i := range c.logins {
		l := &c.logins[i]
		if l.pid != 0 {
			x.loginsByPID[bp{l.bundle, l.pid}] = append(x.loginsByPID[bp{l.bundle, l.pid}], l)
		}
	}
	for _, s := range b.sessions {
		x.sessionsByPID[bp{s.bundle, s.pid}] = append(x.sessionsByPID[bp{s.bundle, s.pid}], s)
		if s.client.ip != "" {
			x.sessionsByIP[s.bundle+"|"+s.client.ip] = append(x.sessionsByIP[s.bundle+"|"+s.client.ip], s)
		}
	}
	for i := range c.indicators {
		in := &c.indicators[i]
		x.indicatorsBy[bp{in.bundle, in.pid}] = append(x.indicatorsBy[bp{in.bundle, in.pid}], in)
	}
	for i := range c.listeners {
		l := &c.listeners[i]
		k := l.bundle + "|" + strconv.Itoa(l.local.port)
		x.listenersBy[k] = append(x.listenersBy[k], l)
	}
	b.x = x
}

// flowOfSocket returns the first captured flow with the socket's 5-tuple, either direction.
func (b *builder) flowOfSocket(s *sock) *flow {
	for _, k := range []string{tupleKey(s.bundle, s.local, s.remote), tupleKey(s.bundle, s.remote, s.local)} {
		if fs := b.x.flowsByTuple[k]; len(fs) > 0 {
			return fs[0]
		}
	}
	return nil
}

// stratumOfSocket returns a stratum login seen on the socket's connection.
func (b *builder) stratumOfSocket(s *sock) *flow {
	for _, k := range []string{tupleKey(s.bundle, s.local, s.remote), tupleKey(s.bundle, s.remote, s.local)} {
		if fs := b.x.stratumByTuple[k]; len(fs) > 0 {
			return fs[0]
		}
	}
	return nil
}
