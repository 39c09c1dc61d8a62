package external

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/fluxscale/fluxscale/metrics/external/externalscaler"
)

// ErrNoStream says the scaler does not implement StreamIsActive: the policy's poll is then
// its only trigger.
var ErrNoStream = errors.New("scaler does not implement StreamIsActive")

// Stream follows the scaler's StreamIsActive and calls onActive for every message, whatever
// its value: a message means the scaler's answer may have changed, and the next pass reads
// it. It returns when ctx ends (nil), when the stream breaks (an error, to reconnect), or
// ErrNoStream when the server says Unimplemented. No timeout applies: a stream is long-lived.
func (p *Pool) Stream(ctx context.Context, s Scaler, onActive func()) error {
	c, err := p.conn(s.Address, s.TLS)
	if err != nil {
		return err
	}
	stream, err := pb.NewExternalScalerClient(c).StreamIsActive(ctx, s.ref())
	if err != nil {
		return streamErr(ctx, s, err)
	}
	for {
		if _, err := stream.Recv(); err != nil {
			return streamErr(ctx, s, err)
		}
		onActive()
	}
}

func streamErr(ctx context.Context, s Scaler, err error) error {
	switch {
	case ctx.Err() != nil:
		return nil
	case status.Code(err) == codes.Unimplemented:
		return ErrNoStream
	}
	return fmt.Errorf("StreamIsActive to %s: %s", s.Address, status.Convert(err).Message())
}
