package main
import (
 _ "github.com/alecthomas/kong"
 _ "github.com/klauspost/compress/zstd"
 _ "github.com/schollz/progressbar/v3"
 _ "github.com/mattn/go-isatty"
 _ "github.com/stretchr/testify/require"
 _ "golang.org/x/sys/cpu"
)
func main(){}
