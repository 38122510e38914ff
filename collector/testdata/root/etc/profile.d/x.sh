alias ls=ls
