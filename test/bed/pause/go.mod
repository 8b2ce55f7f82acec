module fabk8s/test/bed/pause

go 1.24
