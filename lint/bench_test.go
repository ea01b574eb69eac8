package lint

import (
	"encoding/xml"
	"os"
	"testing"
)

// The peer: encoding/xml reading the same autoconfig file into a tree,
// the least any checker must do.
func BenchmarkXMLDecodePeer(b *testing.B) {
	data, err := os.ReadFile("testdata/corpus/isp-handwritten.xml")
	if err != nil {
		b.Fatal(err)
	}
	var v struct {
		XMLName xml.Name
		Inner   []byte `xml:",innerxml"`
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := xml.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func benchLint(b *testing.B, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Lint(file, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLintAutoconfig(b *testing.B) { benchLint(b, "testdata/corpus/isp-handwritten.xml") }
func BenchmarkLintMainCf(b *testing.B)     { benchLint(b, "testdata/corpus/postfix-legacy.cf") }
func BenchmarkLintZone(b *testing.B)       { benchLint(b, "testdata/corpus/example-org.zone") }
func BenchmarkLintMobileconfig(b *testing.B) {
	benchLint(b, "testdata/corpus/old-iphone.mobileconfig")
}
