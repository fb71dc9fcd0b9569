package database

import "golang.org/x/text/unicode/norm"

// AnyForm is cond, with args(form) as its arguments, for each Unicode
// normalization form of s (composed NFC and decomposed NFD), joined with
// OR: stored names keep the form they arrived in ("é" as one code point
// or as "e" plus a combining accent), and a search typed in the other form
// would miss them. When both forms are the same (ASCII, say) it is cond
// alone. The caller passes the result to Where.
func AnyForm(s, cond string, args func(form string) []any) (string, []any) {
	nfc, nfd := norm.NFC.String(s), norm.NFD.String(s)
	if nfc == nfd {
		return cond, args(nfc)
	}
	return "((" + cond + ") OR (" + cond + "))", append(args(nfc), args(nfd)...)
}
