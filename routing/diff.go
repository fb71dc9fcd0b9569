package routing

import (
	"bytes"
	"encoding/json"
	"strings"
)

// maxDiffLines bounds the line diff (its table is lines × lines).
const maxDiffLines = 3000

// Diff returns a unified-style line diff of two mappings' indented JSON:
// lines only in a start with "-", only in b with "+", shared ones with " ".
func Diff(a, b string) string {
	la, lb := indentLines(a), indentLines(b)
	if len(la) > maxDiffLines || len(lb) > maxDiffLines {
		return "- (mapping too large to diff line by line)\n+ (compare the versions' JSON instead)\n"
	}
	// lcs[i][j] is the longest common subsequence of la[i:] and lb[j:].
	lcs := make([][]int, len(la)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(lb)+1)
	}
	for i := len(la) - 1; i >= 0; i-- {
		for j := len(lb) - 1; j >= 0; j-- {
			if la[i] == lb[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(la) || j < len(lb) {
		switch {
		case i < len(la) && j < len(lb) && la[i] == lb[j]:
			out.WriteString("  " + la[i] + "\n")
			i, j = i+1, j+1
		case i < len(la) && (j == len(lb) || lcs[i+1][j] >= lcs[i][j+1]):
			out.WriteString("- " + la[i] + "\n") // a removed line comes before the line that replaces it
			i++
		default:
			out.WriteString("+ " + lb[j] + "\n")
			j++
		}
	}
	return out.String()
}

// indentLines pretty-prints JSON (order kept) and splits it into lines.
func indentLines(s string) []string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(s), "", "  "); err != nil {
		buf.Reset()
		buf.WriteString(s)
	}
	return strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
}
