module gojstest

go 1.21
