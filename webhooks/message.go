package webhooks

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// message is the Standard Webhooks message one request carries: its
// webhook-id, the number of that id, and the hex SHA-256 of the body.
type message struct {
	id  string
	seq int
	sum string
}

// messageOf names the body a delivery is about to send. Receivers
// deduplicate on webhook-id, so one id must never carry two bodies a
// receiver accepted: the id stays while the body equals the one last
// delivered (retries, a crash and resend, a replay of the same bytes), and
// a body that differs from it (a replay after a mapping change) gets the
// next id, dlv_<id>_r<n>. The state behind it changes only when a delivery
// is recorded (settle), so every try until then carries the same id.
// Before the first delivery every try carries dlv_<id>. A delivery
// delivered before the body was recorded counts as differing: a receiver
// may then see the same bytes under a new id, never new bytes under an old one.
func messageOf(d *Delivery, body []byte) message {
	h := sha256.Sum256(body)
	sum := hex.EncodeToString(h[:])
	seq := d.WebhookSeq
	delivered := d.DeliveredBodySHA256 != nil || d.DeliveredAt != nil
	if delivered && (d.DeliveredBodySHA256 == nil || *d.DeliveredBodySHA256 != sum) {
		seq++
	}
	id := "dlv_" + strconv.FormatInt(d.ID, 10)
	if seq > 0 {
		id += "_r" + strconv.Itoa(seq)
	}
	return message{id: id, seq: seq, sum: sum}
}
