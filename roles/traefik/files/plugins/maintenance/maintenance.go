// Package maintenance is a Traefik middleware plugin that answers every request itself with a
// fixed status (503 by default), a Retry-After header and a small HTML page, without calling the
// router's service. The odoo_ops traefik role puts it on the routes of a suspended tenant.
package maintenance

import (
	"context"
	"net/http"
	"strconv"
)

// Config is the middleware's dynamic configuration.
type Config struct {
	StatusCode int    `json:"statusCode,omitempty"`
	RetryAfter int    `json:"retryAfter,omitempty"`
	Body       string `json:"body,omitempty"`
}

// CreateConfig returns the defaults.
func CreateConfig() *Config {
	return &Config{StatusCode: http.StatusServiceUnavailable, RetryAfter: 600}
}

type page struct {
	status     int
	retryAfter string
	body       []byte
}

// New builds the handler; the next handler (the tenant's service) is never called.
func New(_ context.Context, _ http.Handler, config *Config, _ string) (http.Handler, error) {
	p := &page{status: config.StatusCode, body: []byte(config.Body)}
	if p.status < 100 || p.status > 599 {
		p.status = http.StatusServiceUnavailable
	}
	if config.RetryAfter > 0 {
		p.retryAfter = strconv.Itoa(config.RetryAfter)
	}
	return p, nil
}

func (p *page) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	header := rw.Header()
	header.Set("Content-Type", "text/html; charset=utf-8")
	header.Set("Cache-Control", "no-store")
	if p.retryAfter != "" {
		header.Set("Retry-After", p.retryAfter)
	}
	header.Set("Content-Length", strconv.Itoa(len(p.body)))
	rw.WriteHeader(p.status)
	if req.Method != http.MethodHead {
		_, _ = rw.Write(p.body)
	}
}
