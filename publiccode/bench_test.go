package publiccode

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkParseRealistic parses a publiccode.yml of the size and shape
// public administrations publish (testdata/bench/realistic.yml: 6.5 KB,
// three languages, forty users).
func BenchmarkParseRealistic(b *testing.B) {
	file, err := os.ReadFile("testdata/bench/realistic.yml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(file, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImportRealistic imports that file into a real store, a new
// record each time (its url and name changed).
func BenchmarkImportRealistic(b *testing.B) {
	file, err := os.ReadFile("testdata/bench/realistic.yml")
	if err != nil {
		b.Fatal(err)
	}
	db := openStoreTB(b)
	ctx := context.Background()
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		n := strconv.Itoa(i)
		f := strings.NewReplacer("medusa.git", "medusa-"+n+".git", "name: Medusa", "name: Medusa "+n).Replace(string(file))
		if _, err := Import(ctx, db, []byte(f), ImportOptions{Actor: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}
