module fabk8s/test/bed/kwok

go 1.24.0

tool sigs.k8s.io/kwok/cmd/kwok

require sigs.k8s.io/kwok v0.7.0
