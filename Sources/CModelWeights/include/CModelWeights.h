/* Generated model weights land here (make model). */
