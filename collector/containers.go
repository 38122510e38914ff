package collector

import "context"

// containers.go collects each Docker container's configuration: image,
// environment, port bindings with their host address, mounts
// (config.v2.json), and the host-side settings (hostconfig.json).

func init() {
	Register(Source{
		Name:    "containers",
		Order:   55,
		Help:    "Docker containers' config.v2.json and hostconfig.json",
		Collect: collectContainers,
	})
}

func collectContainers(ctx context.Context, env *Env) error {
	n := env.copyPatterns(ctx,
		"/var/lib/docker/containers/*/config.v2.json",
		"/var/lib/docker/containers/*/hostconfig.json",
	)
	env.Note("%d container configuration files copied", n)
	return ctx.Err()
}
