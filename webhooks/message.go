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
// receiver may have accepted: the id stays while the body equals the one
// last sent (retries, a crash and resend, a replay of the same bytes), and
// a body that differs from it (a mapping change before a retry or a
// replay) gets the next id, dlv_<id>_r<n>. A failed try counts as sent: a
// receiver may have committed before it timed out or answered 5xx. The
// state behind it changes only when an attempt is recorded (settle), so a
// try sent just before a crash and sent again after it carries the same id.
// A delivery delivered before the body was recorded counts as differing: a
// receiver may then see the same bytes under a new id, never new bytes under an old one.
func messageOf(d *Delivery, body []byte) message {
	h := sha256.Sum256(body)
	sum := hex.EncodeToString(h[:])
	seq := d.WebhookSeq
	sent := d.DeliveredBodySHA256 != nil || d.DeliveredAt != nil
	if sent && (d.DeliveredBodySHA256 == nil || *d.DeliveredBodySHA256 != sum) {
		seq++
	}
	id := "dlv_" + strconv.FormatInt(d.ID, 10)
	if seq > 0 {
		id += "_r" + strconv.Itoa(seq)
	}
	return message{id: id, seq: seq, sum: sum}
}
