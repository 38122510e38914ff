package parsers

import (
	"io"

	"github.com/cordon-forensics/cordon/formats/bundle"
	"github.com/cordon-forensics/cordon/formats/snapshot"
	"github.com/cordon-forensics/cordon/timeline"
)

// The running PostgreSQL clusters (collector source "postgres"): each
// postmaster with its data directory, configuration and logs
// (postgres/clusters.json). The logs themselves are read by "pglog".
func init() {
	Register(Parser{
		Name:  "postgres-clusters",
		Match: func(e bundle.EntryRecord) bool { return e.Name == snapshot.PostgresClustersEntry },
		Parse: func(r io.Reader, o timeline.Origin, emit Emit) error {
			cs, err := snapshot.ReadPostgresClusters(r)
			if err != nil {
				return err
			}
			EmitResult(snapshot.PostgresClusterEvents(cs, o), emit)
			return nil
		},
	})
}
