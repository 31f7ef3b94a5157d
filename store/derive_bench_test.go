package store

import "testing"

// BenchmarkDerive measures the analysis of one generated record: what an
// import computes for each record beside the writer.
func BenchmarkDerive(b *testing.B) {
	g := newGen(1)
	rs := g.records(1000)
	b.ResetTimer()
	for i := range b.N {
		derive(rs[i%len(rs)])
	}
}
