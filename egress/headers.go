package egress

import "strings"

// headersTooLargeTexts are how net/http reports an answer whose headers
// exceed MaxResponseHeaderBytes: HTTP/1.1 (transport.go) and HTTP/2
// (errResponseHeaderListSize). Neither is an exported error value, so the
// texts are matched; TestHeadersTooLarge fails if a Go release changes them.
var headersTooLargeTexts = []string{
	"server response headers exceeded",
	"response header list larger than advertised limit",
}

// HeadersTooLarge reports whether err (as http.Client.Do returns it, or
// wrapping that) is a request's failure because the answer's headers
// exceeded MaxResponseHeaderBytes.
func HeadersTooLarge(err error) bool {
	if err == nil {
		return false
	}
	for _, text := range headersTooLargeTexts {
		if strings.Contains(err.Error(), text) {
			return true
		}
	}
	return false
}
