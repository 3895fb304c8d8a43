module vkernel.example/browserdemo

go 1.21
