module fabk8s/test/bed/ccaas

go 1.24
