package sigma

import "testing"

func BenchmarkLoadSigmaHQ(b *testing.B) {
	dir := sigmaHQ(b)
	for i := 0; i < b.N; i++ {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
}
