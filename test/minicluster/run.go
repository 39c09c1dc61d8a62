package minicluster

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// NewScheme returns a scheme with the built-in Kubernetes types and MiniCluster.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("adding Kubernetes types to scheme: %w", err)
	}
	if err := AddToScheme(s); err != nil {
		return nil, fmt.Errorf("adding MiniCluster to scheme: %w", err)
	}
	return s, nil
}

// NewStandInManager returns a manager running only the stand-in operator: no metrics or
// health endpoints, no leader election, logging to logger. Start it with mgr.Start. The
// MiniCluster CRD must be installed first (Install).
func NewStandInManager(cfg *rest.Config, opts StandInOptions, logger logr.Logger) (ctrl.Manager, error) {
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	// Only pods with the hpa-selector label matter; caching every pod would be waste.
	hasSelector, err := labels.NewRequirement(SelectorLabel, selection.Exists, nil)
	if err != nil {
		return nil, fmt.Errorf("building pod label selector: %w", err)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:  scheme,
		Logger:  logger,
		Metrics: metricsserver.Options{BindAddress: "0"},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.Pod{}: {Label: labels.NewSelector().Add(*hasSelector)},
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("creating stand-in manager: %w", err)
	}
	if _, err := NewStandIn(mgr, opts); err != nil {
		return nil, err
	}
	return mgr, nil
}

// Run installs the MiniCluster CRD and runs the stand-in operator until ctx is done.
func Run(ctx context.Context, cfg *rest.Config, opts StandInOptions, logger logr.Logger) error {
	if err := Install(ctx, cfg); err != nil {
		return err
	}
	mgr, err := NewStandInManager(cfg, opts, logger)
	if err != nil {
		return err
	}
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running stand-in operator: %w", err)
	}
	return nil
}
